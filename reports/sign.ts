// Detached ed25519 signatures (node:crypto) over a report's RFC 8785 canonical JSON. The
// signature file also records the SHA-256 of the file's exact bytes, so verification fails on
// any change to the file, even one (whitespace, number spelling) that keeps the content equal.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { canonicalJson, sha256Hex } from './digest.js';

export const SIGNATURE_FORMAT = 'npuval-signature/1';

export interface SignatureFile {
  readonly format: typeof SIGNATURE_FORMAT;
  readonly algorithm: 'ed25519';
  readonly canonicalization: 'RFC8785';
  /** SHA-256 of the canonical JSON that was signed. */
  readonly canonicalSha256: string;
  /** SHA-256 of the file's bytes as signed. */
  readonly fileSha256: string;
  /** The signer's public key, SPKI PEM: says which key signed; trust comes from comparing it with a key you hold. */
  readonly publicKey: string;
  /** Base64 ed25519 signature over the UTF-8 of canonicalJson({ document, fileSha256, format }): the document itself in RFC 8785 form plus its file digest. */
  readonly signature: string;
  readonly signedAt: string;
}

export class SignatureError extends Error {
  readonly exitCode = 2;
}

export function generateSigningKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function parseJson(fileBytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(fileBytes).toString('utf8'));
  } catch (err) {
    throw new SignatureError(`${what} is not valid JSON (${(err as Error).message})`);
  }
}

function message(document: unknown, fileSha256: string): Buffer {
  return Buffer.from(canonicalJson({ document, fileSha256, format: SIGNATURE_FORMAT }), 'utf8');
}

export function signDocument(fileBytes: Uint8Array, privateKeyPem: string, what = 'the document', now = new Date()): SignatureFile {
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch (err) {
    throw new SignatureError(`the private key is not a PEM key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SignatureError(`the private key is ${key.asymmetricKeyType}, not ed25519`);
  const document = parseJson(fileBytes, what);
  const canonicalSha256 = sha256Hex(canonicalJson(document));
  const fileSha256 = sha256Hex(fileBytes);
  return {
    format: SIGNATURE_FORMAT,
    algorithm: 'ed25519',
    canonicalization: 'RFC8785',
    canonicalSha256,
    fileSha256,
    publicKey: createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString(),
    signature: sign(null, message(document, fileSha256), key).toString('base64'),
    signedAt: now.toISOString(),
  };
}

export interface VerifyResult {
  readonly ok: boolean;
  /** Every reason verification failed (empty when ok). */
  readonly problems: readonly string[];
  readonly publicKey: string;
}

/**
 * Verifies a file against its detached signature. With `trustedPublicKeyPem`, the signature must
 * also come from that key; without it, only integrity under the embedded key is shown.
 */
export function verifyDocument(
  fileBytes: Uint8Array,
  sig: SignatureFile,
  trustedPublicKeyPem?: string,
  what = 'the document',
): VerifyResult {
  const problems: string[] = [];
  if (sig.format !== SIGNATURE_FORMAT || sig.algorithm !== 'ed25519') {
    throw new SignatureError(`the signature file is not an ${SIGNATURE_FORMAT} ed25519 signature`);
  }
  const fileSha256 = sha256Hex(fileBytes);
  if (fileSha256 !== sig.fileSha256) problems.push(`${what}'s bytes changed since signing (SHA-256 ${fileSha256} ≠ ${sig.fileSha256})`);
  let canonicalSha256: string | null = null;
  let document: unknown;
  try {
    document = parseJson(fileBytes, what);
    canonicalSha256 = sha256Hex(canonicalJson(document));
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (canonicalSha256 !== null && canonicalSha256 !== sig.canonicalSha256)
    problems.push(`${what}'s content changed since signing (canonical JSON SHA-256 differs)`);
  let key: KeyObject;
  try {
    key = createPublicKey(sig.publicKey);
  } catch {
    throw new SignatureError('the signature file holds no valid public key');
  }
  if (trustedPublicKeyPem !== undefined) {
    let trusted: Buffer;
    try {
      trusted = createPublicKey(trustedPublicKeyPem).export({ type: 'spki', format: 'der' });
    } catch (err) {
      throw new SignatureError(`the trusted public key is not a PEM key (${(err as Error).message})`);
    }
    if (!trusted.equals(key.export({ type: 'spki', format: 'der' })))
      problems.push('the signature was made with a different key than the trusted public key');
  }
  if (document === undefined || !verify(null, message(document, sig.fileSha256), key, Buffer.from(sig.signature, 'base64'))) {
    problems.push('the ed25519 signature does not match the document');
  }
  return { ok: problems.length === 0, problems, publicKey: sig.publicKey };
}

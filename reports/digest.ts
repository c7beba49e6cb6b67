// Digests: SHA-256 of files and of documents in RFC 8785 canonical JSON (the `canonicalize`
// package), so the same content always has the same digest however it was formatted.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import canonicalizeModule from 'canonicalize';
import type { Artifact } from './types.js';

const canonicalizeFn = ((canonicalizeModule as unknown as { default?: unknown }).default ?? canonicalizeModule) as (
  v: unknown,
) => string | undefined;

/** RFC 8785 (JCS) serialisation. Throws for values JSON cannot hold. */
export function canonicalJson(value: unknown): string {
  const text = canonicalizeFn(value);
  if (text === undefined) throw new Error('value has no JSON representation');
  return text;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(path: string): string {
  return sha256Files([path]).sha256;
}

/** SHA-256 of the files' contents in order, read in 16 MiB chunks (model weights can be many GB). */
export function sha256Files(paths: readonly string[]): { sha256: string; bytes: number } {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(16 << 20);
  let bytes = 0;
  for (const path of paths) {
    const fd = openSync(path, 'r');
    try {
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, null);
        if (n === 0) break;
        hash.update(buffer.subarray(0, n));
        bytes += n;
      }
    } finally {
      closeSync(fd);
    }
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Digest of a document's content: SHA-256 of its canonical JSON. */
export function canonicalDigest(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** An artifact entry for a file: path as given (relative where the caller wants it), digest and size. */
export function fileArtifact(path: string, role: string, absolutePath = path): Artifact {
  return { path, role, sha256: sha256File(absolutePath), bytes: statSync(absolutePath).size };
}

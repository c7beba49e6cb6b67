// `npuval report validate|render|sign|verify|keygen`: check a report (or suite/criteria file)
// against its schema, re-render a report.json, and sign or verify it (ed25519, RFC 8785).
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { compareReports } from '../../reports/compare.js';
import { renderCsv } from '../../reports/render/csv.js';
import { renderHtml } from '../../reports/render/html.js';
import { renderJunit } from '../../reports/render/junit.js';
import { renderMarkdown } from '../../reports/render/markdown.js';
import { generateSigningKey, signDocument, verifyDocument } from '../../reports/sign.js';
import { schemaNameOf, schemaOf, SCHEMA_NAMES, validate, type SchemaName } from '../../reports/validate.js';
import { EXIT, InputError } from '../errors.js';
import { readInputFile, readInputText } from '../input-file.js';
import { emit } from '../output.js';
import { readBaseline } from '../run/outputs.js';
import { makeOutputDir, writeOutputFile } from '../durable.js';
import { PUBLIC_KEY_ENV, readDoc, readRunReport, readSignature, runReportProblems, trustedKeyFile } from './report-trust.js';
import type { Command } from './types.js';

const ACTIONS = ['validate', 'render', 'sign', 'verify', 'keygen', 'schema'] as const;

interface ReportArgs {
  action: (typeof ACTIONS)[number];
  file?: string;
  schema?: SchemaName;
  key?: string;
  sig?: string;
  'public-key'?: string;
}

/** A PEM key file: garbage is bad input naming the flag, so exit 1 keeps meaning "the signature does not verify". */
function readKey(path: string, flag: string, kind: 'private' | 'public'): string {
  const pem = readInputText(path, flag);
  try {
    if (kind === 'private') createPrivateKey(pem);
    else createPublicKey(pem);
  } catch (err) {
    throw new InputError(`${flag} ${path} is not a PEM ${kind} key (${(err as Error).message.split('\n')[0]})`);
  }
  return pem;
}

export { readRunReport };

export const reportCommand: Command<ReportArgs> = {
  command: 'report <action> [file]',
  describe: 'Validate (any npuval document), re-render, sign or verify a report; keygen makes an ed25519 signing key pair',
  builder: (y: Argv) =>
    y
      .positional('action', {
        choices: ACTIONS,
        describe:
          'validate | render | sign | verify | keygen | schema (print a JSON Schema: run-report, commercialization-report, suite, criteria)',
      })
      .positional('file', { type: 'string', describe: 'The report.json (or, for validate, a suite/criteria/commercialization file)' })
      .option('schema', {
        choices: SCHEMA_NAMES,
        describe: 'validate: the schema to use when the file has no $schema (run-report, commercialization-report, suite, criteria)',
      })
      .option('key', {
        type: 'string',
        describe: 'sign: the ed25519 private key (PEM, PKCS#8) — make one with `npuval report keygen --out DIR`',
      })
      .option('sig', { type: 'string', describe: 'sign/verify/render: the detached signature file (default FILE.sig)' })
      .option('public-key', {
        type: 'string',
        describe: `verify: require the signature to be made with this public key (PEM); without it only integrity is checked. render: refuse (exit 2) a report whose signature does not verify with it. Default: $${PUBLIC_KEY_ENV}`,
      })
      .example('npuval report validate out/report.json', 'schema check; problems as `path: message`, one per line')
      .example('npuval report render out/report.json --out html/', 're-render report.md/html, junit.xml, results.csv')
      .example('npuval report sign out/report.json --key keys/npuval-signing.key', 'writes out/report.json.sig')
      .example('npuval report verify out/report.json --public-key keys/npuval-signing.pub', 'exit 1 if anything changed')
      .example('npuval report schema run-report > run-report.schema.json', 'the JSON Schema, for other validators'),
  handler: async (args) => {
    if (args.action === 'keygen') {
      const dir = resolve(args.out ?? '.');
      makeOutputDir(dir);
      const keyPath = join(dir, 'npuval-signing.key');
      const pubPath = join(dir, 'npuval-signing.pub');
      if (existsSync(keyPath)) throw new InputError(`${keyPath} already exists; not overwriting a private key`);
      const { privateKeyPem, publicKeyPem } = generateSigningKey();
      writeFileSync(keyPath, privateKeyPem, { mode: 0o600 });
      chmodSync(keyPath, 0o600);
      writeFileSync(pubPath, publicKeyPem);
      emit(args, { privateKey: keyPath, publicKey: pubPath }, () => `private key ${keyPath} (keep it secret), public key ${pubPath}`);
      return EXIT.ok;
    }
    if (args.action === 'schema') {
      const name = (args.file ?? 'run-report') as SchemaName;
      if (!SCHEMA_NAMES.includes(name as SchemaName))
        throw new InputError(`report schema ${name}: no such schema; one of ${SCHEMA_NAMES.join(', ')}`);
      process.stdout.write(JSON.stringify(schemaOf(name as SchemaName).schema, null, 2) + '\n');
      return EXIT.ok;
    }
    if (!args.file) throw new InputError(`report ${args.action} needs a FILE`);
    const file = args.file;
    switch (args.action) {
      case 'validate': {
        const { doc } = readDoc(file);
        const name = args.schema ?? schemaNameOf(doc);
        if (!name) throw new InputError(`${file} names no npuval schema in "$schema"; pass --schema (${SCHEMA_NAMES.join(', ')})`);
        // A schema-valid run report is also checked for consistency and for changed artifacts (as render and compare do).
        const { problems, notes } = name === 'run-report' ? runReportProblems(file, doc) : { problems: validate(name, doc), notes: [] };
        // The schema checks each kind's declared settings; cross-field rules, device specs and model files need planning.
        if (problems.length === 0 && name === 'suite')
          notes.push(
            `the schema (with each unit kind's settings) is checked; cross-setting rules, device specs and model files are checked by \`npuval run --suite ${file} --list\``,
          );
        emit(args, { file, schema: schemaOf(name).id, valid: problems.length === 0, errors: problems, notes }, () =>
          [
            problems.length ? `${file} is not a valid ${name}:\n${problems.join('\n')}` : `${file}: valid ${name} (${schemaOf(name).id})`,
            ...notes.map((n) => `note: ${n}`),
          ].join('\n'),
        );
        return problems.length ? EXIT.input : EXIT.ok;
      }
      case 'render': {
        // Only a report `report validate` accepts (and, with a trusted key, whose signature verifies) is rendered.
        const { report } = readRunReport(file, { publicKey: args['public-key'], sig: args.sig });
        const dir = resolve(args.out ?? dirname(file));
        makeOutputDir(dir);
        const notes: string[] = [];
        const baseline = report.baseline ? readBaseline(report.baseline.path, notes) : null;
        const comparison = baseline ? compareReports(baseline, report, 5) : null;
        writeOutputFile(join(dir, 'report.md'), renderMarkdown(report, comparison));
        writeOutputFile(join(dir, 'report.html'), await renderHtml(report, { comparison }));
        writeOutputFile(join(dir, 'junit.xml'), renderJunit(report));
        writeOutputFile(join(dir, 'results.csv'), renderCsv(report));
        const files = ['report.md', 'report.html', 'junit.xml', 'results.csv'].map((f) => join(dir, f));
        emit(args, { files, notes }, () => [...notes, `wrote ${files.join(', ')}`].join('\n'));
        return EXIT.ok;
      }
      case 'sign': {
        if (!args.key) throw new InputError('report sign needs --key PRIVATE.pem (make one with `npuval report keygen --out DIR`)');
        const { bytes } = readDoc(file);
        const sig = signDocument(bytes, readKey(args.key, '--key', 'private'), file);
        const sigPath = args.sig ?? `${file}.sig`;
        writeOutputFile(sigPath, JSON.stringify(sig, null, 2) + '\n');
        emit(
          args,
          { file, signature: sigPath, canonicalSha256: sig.canonicalSha256, fileSha256: sig.fileSha256 },
          () => `signed ${file} → ${sigPath}`,
        );
        return EXIT.ok;
      }
      case 'verify': {
        const sigPath = args.sig ?? `${file}.sig`;
        const doc = readInputFile(file, 'file');
        const sig = readSignature(sigPath, '');
        const key = trustedKeyFile(args['public-key']);
        const trusted = key ? readKey(key.path, args['public-key'] !== undefined ? '--public-key' : PUBLIC_KEY_ENV, 'public') : undefined;
        const result = verifyDocument(doc, sig, trusted, file);
        emit(args, { file, signature: sigPath, ok: result.ok, problems: result.problems, trustedKey: trusted !== undefined }, () =>
          result.ok
            ? `${file}: signature OK${trusted ? ' (made with the trusted public key)' : ' (integrity only: pass --public-key to check who signed)'}`
            : `${file}: signature verification FAILED\n${result.problems.join('\n')}`,
        );
        return result.ok ? EXIT.ok : EXIT.failed;
      }
    }
    return EXIT.ok;
  },
};

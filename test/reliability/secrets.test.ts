// Credentials never reach an output: a real `npuval serve` behind a loopback proxy that records the
// Authorization header of every request, driven by `npuval llm` and `npuval run --resume` with a
// password in the endpoint URL and an API key in a variable named by apiKeyEnv (a name no secret
// pattern matches). Every file under --out, stdout and stderr are searched for both: neither is
// there, while the proxy shows the real credentials travelled.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSecretEnvName, MASK, redactText, redactUrl, registerSecretEnv, registerSpecSecrets } from '../../harness/redact.js';
import type { RunReport } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { npuvalAsync } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'npuval-secrets-'));
const PASSWORD = 'hunter2-pw-7Qx9';
const KEY_VAR = 'NPUVAL_ENDPOINT_CRED_VALUE_X'; // matches no secret name pattern except through apiKeyEnv
const KEY = 'sk-test-key-value-81f3c2';

test('redactUrl masks userinfo and secret query values, keeping the variable names a spec refers to', () => {
  assert.is(redactUrl('endpoint:http://alice:pw@h:1/v1?model=m'), `endpoint:http://${MASK}@h:1/v1?model=m`);
  assert.is(redactUrl('https://TOKEN123@git.example/x'), `https://${MASK}@git.example/x`);
  assert.is(redactUrl('http://h/v1?api_key=abc&model=m&token=t1&sig=s'), `http://h/v1?api_key=${MASK}&model=m&token=${MASK}&sig=${MASK}`);
  assert.is(redactUrl('http://h/v1?X-Amz-Signature=abc&key=k'), `http://h/v1?X-Amz-Signature=${MASK}&key=${MASK}`);
  assert.is(redactUrl('http://h/v1?apiKeyEnv=NPUVAL_KEY&model=m'), 'http://h/v1?apiKeyEnv=NPUVAL_KEY&model=m');
  assert.is(redactUrl('<a href="http://h/?a=1&amp;token=xyz">'), `<a href="http://h/?a=1&amp;token=${MASK}">`);
  assert.is(redactUrl('mail alice@example.org, time 12:30'), 'mail alice@example.org, time 12:30', 'no URL, nothing masked');
  // In JSON text the mask stops at the string's end and keeps the JSON valid.
  const json = JSON.stringify({ spec: 'endpoint:http://u:p"w@h/v1?token=a\\"b' });
  assert.equal(JSON.parse(redactText(json)), { spec: `endpoint:http://u:p"w@h/v1?token=${MASK}\\"b` });
});

test('secret values: of variables with secret names, of variables a spec names, and of a URL password, anywhere in text', () => {
  process.env.NPUVAL_TEST_SECRET_TOKEN = 'tok-value-abcdef';
  process.env.NPUVAL_PLAIN_SETTING = 'plain-value-abcdef';
  assert.is(redactText('x tok-value-abcdef y'), `x ${MASK} y`);
  assert.is(redactText('x plain-value-abcdef y'), 'x plain-value-abcdef y');
  assert.not.ok(isSecretEnvName('NPUVAL_PLAIN_SETTING'));
  registerSpecSecrets('endpoint:http://bob:long-password-1@h/v1?apiKeyEnv=NPUVAL_PLAIN_SETTING');
  assert.ok(isSecretEnvName('NPUVAL_PLAIN_SETTING'));
  assert.is(redactText('x plain-value-abcdef y'), `x ${MASK} y`);
  assert.is(redactText('said long-password-1 and "long-password-1"'), `said ${MASK} and "${MASK}"`);
  assert.is(redactText(`Basic ${Buffer.from('bob:long-password-1').toString('base64')}`), `Basic ${MASK}`);
  // Short values are not searched for in free text (they would mask ordinary words), but never recorded by name.
  registerSecretEnv('NPUVAL_SHORT');
  process.env.NPUVAL_SHORT = 'pass';
  assert.is(redactText('3 passed'), '3 passed');
  assert.ok(isSecretEnvName('NPUVAL_SHORT'));
  delete process.env.NPUVAL_TEST_SECRET_TOKEN;
  delete process.env.NPUVAL_PLAIN_SETTING;
  delete process.env.NPUVAL_SHORT;
});

// The server under test, and a proxy in front of it that records what credentials arrived.
const server = npuvalAsync('serve', '--device', 'ort:cpu', '--model', 'tiny-llama', '--port', '0', '--json', '--out', join(dir, 'serve'));
const serverUrl = new URL(
  await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { url: string }).url);
    });
    server.on('exit', (code) => reject(new Error(`npuval serve exited ${code}`)));
  }),
);
const authorizations: string[] = [];
const proxy: Server = createServer((req, res) => {
  authorizations.push(req.headers.authorization ?? '');
  const upstream = request(
    { host: serverUrl.hostname, port: serverUrl.port, path: req.url, method: req.method, headers: req.headers },
    (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    },
  );
  upstream.on('error', () => res.writeHead(502).end());
  req.pipe(upstream);
});
await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
const proxyBase = `127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`;

test.after(async () => {
  proxy.close();
  const exited = new Promise((resolve) => server.on('exit', resolve));
  server.kill('SIGINT');
  await exited;
});

function cli(args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  Object.assign(process.env, env);
  const child = npuvalAsync(...args);
  for (const name of Object.keys(env)) delete process.env[name];
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

/** Every file under `root` (recursively) and the given texts that contain one of the secrets. */
function leaks(root: string, texts: Record<string, string>, secrets: readonly string[]): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (secrets.some((s) => readFileSync(path, 'latin1').includes(s))) found.push(path);
    }
  };
  walk(root);
  for (const [name, text] of Object.entries(texts)) if (secrets.some((s) => text.includes(s))) found.push(name);
  return found;
}

const LLM = ['--requests', '3', '--prompt-len', '8', '--gen-len', '4', '--warmup-requests', '0'];

test('npuval llm with a password in the URL and a key in a named variable: neither appears in any output', async () => {
  const out = join(dir, 'llm');
  const device = `endpoint:http://alice:${PASSWORD}@${proxyBase}?model=tiny-llama&apiKeyEnv=${KEY_VAR}`;
  authorizations.length = 0;
  const r = await cli(['llm', '--device', device, ...LLM, '--out', out], { [KEY_VAR]: KEY });
  assert.is(r.status, 0, r.stderr);
  assert.ok(authorizations.length > 0 && authorizations.every((a) => a === `Bearer ${KEY}`), 'the real key travelled with every request');
  assert.equal(leaks(out, { stdout: r.stdout, stderr: r.stderr }, [PASSWORD, KEY, 'alice']), []);
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
  assert.equal(validate('run-report', report), []);
  assert.not.ok(KEY_VAR in report.environment.variables, 'the variable apiKeyEnv names is not recorded');
  assert.is(report.devices[0]!.spec, `endpoint:http://${MASK}@${proxyBase}?apiKeyEnv=${KEY_VAR}&model=tiny-llama`);
  assert.match(
    r.stderr,
    new RegExp(`endpoint:http://\\*\\*\\*@${proxyBase.replace(/\./g, '\\.')}`),
    'progress lines name the masked device',
  );
});

test('an unreachable endpoint with credentials: the error names it masked (exit 3)', async () => {
  const r = await cli(['llm', '--device', `endpoint:http://alice:${PASSWORD}@127.0.0.1:1/v1?model=m`, ...LLM, '--out', join(dir, 'down')]);
  assert.is(r.status, 3, r.stderr);
  assert.match(r.stderr, /127\.0\.0\.1:1/);
  assert.equal(leaks(dir, { stdout: r.stdout, stderr: r.stderr }, [PASSWORD]), []);
});

test('resume of a run whose journal keeps a masked device: refused without the full spec, completed with it', async () => {
  const out = join(dir, 'resume');
  const suite = join(dir, 'suite.json');
  writeFileSync(
    suite,
    JSON.stringify({
      name: 'two-llm',
      units: [
        { kind: 'llm', id: 'a', settings: { requests: 2, promptLen: 8, genLen: 2, warmup: 0 } },
        { kind: 'llm', id: 'b', settings: { requests: 2, promptLen: 8, genLen: 3, warmup: 0 } },
      ],
    }),
  );
  const device = `endpoint:http://alice:${PASSWORD}@${proxyBase}?model=tiny-llama`;
  const first = await cli(['run', '--suite', suite, '--device', device, '--out', out]);
  assert.is(first.status, 0, first.stderr);
  // A crash after the first unit: the journal ends after its unit-end, with a half-written line.
  const journal = join(out, 'journal.jsonl');
  const lines = readFileSync(journal, 'utf8').split('\n');
  const firstEnd = lines.findIndex((l) => l.includes('"type":"unit-end"'));
  writeFileSync(journal, lines.slice(0, firstEnd + 1).join('\n') + '\n' + lines[firstEnd + 2]!.slice(0, 40));

  const refused = await cli(['run', '--resume', out]);
  assert.is(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /without its credentials; resume with --device/);
  const other = await cli(['run', '--resume', out, '--device', 'ort:cpu']);
  assert.is(other.status, 2, other.stderr);
  assert.match(other.stderr, /--device only gives the credentials of a journaled device, and ort:cpu is not one/);
  authorizations.length = 0;
  const resumed = await cli(['run', '--resume', out, '--device', device]);
  assert.is(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /dropped a half-written last line/);
  const basic = `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`;
  assert.ok(authorizations.length > 0 && authorizations.every((a) => a === basic), 'the password travelled as Basic auth');
  const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as RunReport;
  assert.equal(validate('run-report', report), []);
  assert.is(report.complete, true);
  assert.equal(
    report.units.map((u) => u.status),
    ['pass', 'pass'],
  );
  assert.equal(leaks(out, { first: first.stderr + first.stdout, resumed: resumed.stderr + resumed.stdout }, [PASSWORD, 'alice']), []);
});

test.run();

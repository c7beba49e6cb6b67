// The one redaction layer: credentials never reach the journal, a report, a log line or an error
// message. Text is masked where it leaves the process (journal appends, report files, stdout and
// stderr: see docs/reliability.md#secrets); the run itself keeps the real values, so a device still
// connects with the credentials it was given.
//
// Three things are masked:
//  - a URL's userinfo (`http://user:pass@host` → `http://***@host`);
//  - the value of a URL query key that names a secret (`?api_key=…`, `&token=…`, `&sig=…`);
//  - the value of every secret environment variable wherever it appears: variables whose name
//    looks secret (KEY, TOKEN, SECRET, PASSWORD, CREDENTIAL, AUTH, …) and every variable a device
//    spec names as holding a key (`apiKeyEnv=NAME`, any `…KeyEnv`/`…TokenEnv` option).

/** What a masked credential reads as. */
export const MASK = '***';

/** Environment variable names whose values are secrets (besides those a device spec names). */
const SECRET_ENV_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|KEY|CREDENTIAL|AUTH|COOKIE)/i;

/**
 * Shorter values are not searched for in free text: a 4-character secret would mask ordinary words
 * (a password "pass" in every "passed"). Such variables are still never recorded by name, and a
 * URL's userinfo is masked whatever its length.
 */
const MIN_SECRET_LENGTH = 8;

/** `scheme://userinfo@` — userinfo cannot hold `/ ? # @` unencoded, nor quotes, spaces or `\` (JSON escapes). */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>\\]+@/gi;

/**
 * A query (or HTML-escaped `&amp;`) key naming a secret, and its value. Keys that merely name where a
 * secret lives (`apiKeyEnv=NAME`) are kept: the name is not the secret and is needed to run again.
 */
const SECRET_QUERY =
  /([?&;](?:[\w.-]*?(?:api[_-]?key|access[_-]?key|token|secret|password|passwd|signature|credential)|key|auth|authorization|sig))=[^&\s"'<>#\\]*/gi;

/** Device spec options that name an environment variable holding a secret (`apiKeyEnv=NPUVAL_KEY`). */
const SECRET_ENV_OPTION = /(key|token|secret|password|credential)Env$/i;

const namedSecretEnv = new Set<string>();
const secretValues = new Set<string>();

/** Marks an environment variable as holding a secret: it is never recorded and its value is masked everywhere. */
export function registerSecretEnv(name: string): void {
  namedSecretEnv.add(name);
}

/** Masks this value wherever it appears from now on (if it is long enough to search for safely). */
export function registerSecretValue(value: string): void {
  if (value.length >= MIN_SECRET_LENGTH) secretValues.add(value);
}

/** True for a variable whose value must never be recorded: its name looks secret or a device spec named it. */
export function isSecretEnvName(name: string): boolean {
  return namedSecretEnv.has(name) || SECRET_ENV_NAME.test(name);
}

/**
 * Registers the secrets a device spec (or any argument) carries: the userinfo of a URL in it (also
 * as the Basic authorization header it turns into) and the variables its `…KeyEnv=NAME` options name.
 */
export function registerSpecSecrets(text: string): void {
  for (const m of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/([^\s/?#@]+)@/gi)) {
    const userinfo = m[1]!;
    registerSecretValue(userinfo);
    const [user = '', pass = ''] = userinfo.split(':').map(safeDecode);
    registerSecretValue(pass);
    registerSecretValue(Buffer.from(`${user}:${pass}`).toString('base64'));
  }
  for (const m of text.matchAll(/[?&]([\w.-]+)=([^&\s#]*)/g)) {
    if (SECRET_ENV_OPTION.test(m[1]!) && m[2]) registerSecretEnv(safeDecode(m[2]));
  }
}

/** The URL with its userinfo and secret query values masked (any text with URLs in it works too). */
export function redactUrl(url: string): string {
  return url.replace(USERINFO, `$1${MASK}@`).replace(SECRET_QUERY, `$1=${MASK}`);
}

/** The text with every URL credential and every secret value masked. Idempotent. */
export function redactText(text: string): string {
  let out = redactUrl(text);
  for (const value of currentSecretValues()) {
    // Also as JSON writes it inside a string and as a URL carries it, so a serialized value is found too.
    for (const form of new Set([value, JSON.stringify(value).slice(1, -1), encodeURIComponent(value)])) {
      if (out.includes(form)) out = out.split(form).join(MASK);
    }
  }
  return out;
}

/** The secret values to look for: registered ones and the current values of secret variables. */
function currentSecretValues(): string[] {
  const values = new Set(secretValues);
  for (const [name, value] of Object.entries(process.env)) {
    if (value && value.length >= MIN_SECRET_LENGTH && isSecretEnvName(name)) values.add(value);
  }
  // Longest first, so a value containing a shorter one is masked whole.
  return [...values].sort((a, b) => b.length - a.length);
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

const REDACTING = Symbol('npuval.redacting');

/**
 * Makes every text written to the stream pass through redactText (stdout and stderr of the CLI:
 * progress lines, logs, errors and --json output alike). Installed again if something replaced it.
 */
export function redactStream(stream: NodeJS.WriteStream): void {
  if ((stream.write as { [REDACTING]?: true })[REDACTING]) return;
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const redacted = (chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? redactText(chunk) : chunk, ...rest);
  stream.write = Object.assign(redacted, { [REDACTING]: true as const }) as unknown as typeof stream.write;
}

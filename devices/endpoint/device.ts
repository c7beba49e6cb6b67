// The `endpoint:` Device: an OpenAI-compatible serving endpoint (vLLM, furiosa-llm, vllm-rbln, TGI,
// `npuval serve`). It holds its own model: it generates (openGeneration) and runs no tensors.
import { DeviceInputError, DeviceUnavailableError } from '../errors.js';
import { describeHost } from '../host.js';
import { parseOptions, type OptionSchema, type OptionValues } from '../options.js';
import type { DeviceSpec } from '../spec.js';
import type { Device, DeviceCapabilities, DeviceDescription, GenerationOptions, GenerationSession, Session } from '../types.js';
import { get, shownUrl } from './http.js';
import { apiKeyEnvName, EndpointSession, endpointHeaders, type EndpointConfig } from './session.js';

export const ENDPOINT_OPTIONS = {
  model: { type: 'string', doc: 'the served model (default: the first one GET /v1/models lists)' },
  api: { type: 'enum', values: ['completions', 'chat'], doc: 'which route (default completions)' },
  usage: { type: 'bool', doc: 'false: do not ask for the usage chunk (stream_options.include_usage)' },
  ignoreEos: { type: 'bool', doc: 'false: do not send ignore_eos/min_tokens (strict OpenAI servers reject them)' },
  apiKeyEnv: { type: 'string', doc: 'environment variable holding the API key (default NPUVAL_API_KEY, then OPENAI_API_KEY)' },
} as const satisfies OptionSchema;

export class EndpointDevice implements Device {
  readonly kind = 'endpoint' as const;
  readonly capabilities: DeviceCapabilities = { tensors: false, generation: 'own-model' };
  readonly id: string;
  private readonly config: EndpointConfig;

  constructor(
    spec: DeviceSpec,
    o: OptionValues<typeof ENDPOINT_OPTIONS> = parseOptions(spec, ENDPOINT_OPTIONS, `endpoint:${spec.target}`),
  ) {
    this.id = spec.id;
    this.config = {
      base: spec.target,
      model: o.model ?? null,
      api: o.api ?? 'completions',
      includeUsage: o.usage ?? true,
      sendIgnoreEos: o.ignoreEos ?? true,
      apiKeyEnv: o.apiKeyEnv ?? null,
      extraBody: {},
    };
  }

  async describe(): Promise<DeviceDescription> {
    const keyEnv = apiKeyEnvName(this.config.apiKeyEnv);
    return {
      id: this.id,
      kind: 'endpoint',
      vendor: null,
      model: this.config.model,
      runtime: { name: 'OpenAI-compatible server', version: 'not reported by the API' },
      backend: {
        name: this.config.api === 'chat' ? '/v1/chat/completions' : '/v1/completions',
        options: { base: shownUrl(this.config.base) },
      },
      driver: null,
      host: describeHost(),
      catalogId: null,
      notes: [
        "host is the client machine; the server's hardware is not visible through the API",
        keyEnv ? `API key taken from $${keyEnv} (value not recorded)` : 'no API key set (NPUVAL_API_KEY / OPENAI_API_KEY unset)',
      ],
    };
  }

  async open(): Promise<Session> {
    throw new DeviceInputError(
      `${shownUrl(this.id)} is a serving endpoint: it generates text with its own model (openGeneration), it does not run tensors`,
    );
  }

  /**
   * Checks that the server answers (GET /models; a server without that route still counts as
   * answering) and takes the model name from it when neither the spec nor `options` names one.
   * An unreachable server is an environment error (exit 3).
   */
  async openGeneration(options: GenerationOptions = {}): Promise<GenerationSession> {
    const config = { ...this.config, model: options.model ?? this.config.model, extraBody: options.extraBody ?? {} };
    return new EndpointSession({ ...config, model: await servedModel(config) });
  }
}

async function servedModel(config: EndpointConfig): Promise<string> {
  let res: { status: number; text: string };
  try {
    res = await get(`${config.base}/models`, endpointHeaders(config), AbortSignal.timeout(10_000));
  } catch (err) {
    const cause = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new DeviceUnavailableError(`endpoint ${shownUrl(config.base)} is unreachable (${cause}); is the server running?`);
  }
  if (config.model) return config.model;
  if (res.status !== 200)
    throw new DeviceUnavailableError(`GET ${shownUrl(config.base)}/models answered HTTP ${res.status}; name the model with ?model=NAME`);
  let json: { data?: { id?: unknown }[] } | null = null;
  try {
    json = JSON.parse(res.text) as { data?: { id?: unknown }[] };
  } catch {
    // not JSON: no model listed
  }
  const id = json?.data?.[0]?.id;
  if (typeof id !== 'string')
    throw new DeviceUnavailableError(`GET ${shownUrl(config.base)}/models lists no model; name one with ?model=NAME`);
  return id;
}

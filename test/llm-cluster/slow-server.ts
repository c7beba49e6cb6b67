// A loopback OpenAI-style /v1/completions server that streams max_tokens one-word tokens, each
// after `tokenMs`, then the usage chunk: a deliberately slow endpoint for load-balancing tests.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlowServer {
  readonly url: string;
  /** Completions requests received. */
  received: number;
  close(): Promise<void>;
}

const data = (obj: unknown): string => `data: ${JSON.stringify(obj)}\n\n`;

export async function startSlowServer(model: string, tokenMs: number): Promise<SlowServer> {
  const state = { received: 0 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/v1/models') {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ object: 'list', data: [{ id: model, object: 'model' }] }));
        return;
      }
      if (req.method !== 'POST' || path !== '/v1/completions') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      state.received += 1;
      const json = JSON.parse(body || '{}') as { max_tokens?: number; prompt?: unknown };
      const n = json.max_tokens ?? 16;
      const promptTokens = Array.isArray(json.prompt) ? json.prompt.length : 1;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      let sent = 0;
      const tick = () => {
        if (res.destroyed) return;
        if (sent < n) {
          sent += 1;
          res.write(
            data({ object: 'text_completion', choices: [{ index: 0, text: ` t${sent}`, finish_reason: sent === n ? 'length' : null }] }),
          );
          setTimeout(tick, tokenMs);
          return;
        }
        res.write(
          data({
            object: 'text_completion',
            choices: [],
            usage: { prompt_tokens: promptTokens, completion_tokens: n, total_tokens: promptTokens + n },
          }),
        );
        res.end('data: [DONE]\n\n');
      };
      setTimeout(tick, tokenMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

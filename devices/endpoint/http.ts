// HTTP for the endpoint adapter. Requests go through node:http rather than fetch: on a stream of
// small SSE chunks, fetch's WHATWG streams cost the client about twice the CPU per chunk (measured
// once on the 2-core dev VM: 44–71 µs against 22–34 µs), and a load generator's own work should
// perturb what it measures as little as it can.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

/** Sends one request through the keep-alive agent; resolves once the response headers arrived, rejects with the network error. */
export function send(url: string, h: Record<string, string>, body: string | null, signal?: AbortSignal): Promise<IncomingMessage> {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  const options = {
    method: body === null ? 'GET' : 'POST',
    agent: https ? agents.https : agents.http,
    signal,
    headers: body === null ? h : { ...h, 'content-length': String(Buffer.byteLength(body)) },
  };
  return new Promise((resolve, reject) => {
    const req = (https ? httpsRequest : httpRequest)(u, options, resolve);
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

/** GET through the same keep-alive agent as the streamed requests; rejects on network errors (with the errno code). */
export async function get(url: string, h: Record<string, string>, signal?: AbortSignal): Promise<{ status: number; text: string }> {
  const res = await send(url, h, null, signal);
  return { status: res.statusCode ?? 0, text: await readText(res) };
}

export async function readText(res: IncomingMessage): Promise<string> {
  let text = '';
  res.setEncoding('utf8');
  for await (const chunk of res) text += chunk as string;
  return text;
}

/** The error message of an OpenAI-style error body, else the body's start. */
export function errorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof j.error === 'string' ? j.error : (j.error?.message ?? j.message);
    if (typeof m === 'string') return m;
  } catch {
    // not JSON: fall through
  }
  return text.slice(0, 200) || '(empty body)';
}

/**
 * The URL (or any text holding one) as messages show it: userinfo masked, since a spec may carry
 * `user:password@`. Requests still use the real URL; the harness masks everything it records too.
 */
export function shownUrl(text: string): string {
  return text.replace(/(:\/\/)[^\s/?#@]+@/g, '$1***@');
}

// `npuval serve`: an OpenAI-compatible streaming server in front of in-process generation with
// continuous batching, so any OpenAI client (and `npuval llm --device endpoint:…`) can reach a
// device npuval drives. Runs until SIGINT/SIGTERM; finished requests are journaled in batches (serve.requests).
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { createDevice } from '../../devices/index.js';
import { DEFAULT_SEED } from '../../models/zoo/index.js';
import { EnvironmentError, InputError } from '../errors.js';
import { Journal } from '../journal.js';
import { journalDir } from '../output.js';
import { BatchEngine } from '../serve/engine.js';
import { openDecoder } from '../serve/open.js';
import { startLlmServer, type LlmServer, type ServedRequest } from '../serve/server.js';
import type { Command } from './types.js';

interface ServeArgs {
  device?: string;
  model?: string;
  dtype: string;
  port: number;
  host: string;
  'max-batch': number;
  'weight-seed': number;
  name?: string;
}

export const serveCommand: Command<ServeArgs> = {
  command: 'serve',
  describe: 'Serve a decoder on a device as an OpenAI-compatible streaming endpoint with continuous batching',
  builder: (y: Argv) =>
    y
      .usage('npuval serve --device SPEC --model M [--port 8000] [--max-batch 8]')
      .option('device', { type: 'string', describe: 'In-process device, e.g. ort:cpu' })
      .option('model', { type: 'string', describe: 'Zoo decoder (tiny-llama, llama-100m, …) or an ONNX decoder-with-past export' })
      .option('dtype', { type: 'string', choices: ['float32', 'float16'], default: 'float32', describe: 'Zoo model precision' })
      .option('port', { type: 'number', default: 8000, describe: 'TCP port (0: any free port)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'Address to listen on (loopback unless you say otherwise)' })
      .option('max-batch', { type: 'number', default: 8, describe: 'Most sequences decoded together; more requests wait in a queue' })
      // Not --seed, which seeds a run's samples and prompts (default 1) wherever it exists: serve's
      // sampling is seeded per request (its `seed`, else a random one, journaled), and its weights
      // are the zoo's by default, so a model hashes as it does in llm and bench.
      .option('weight-seed', {
        type: 'number',
        default: DEFAULT_SEED,
        describe: "Seed of a zoo model's dummy weights (default the zoo's, as every other command uses)",
      })
      .option('name', { type: 'string', describe: 'Model name the API reports (default: --model)' })
      .epilog(
        'Text is a reversible mapping of token ids (" 17 4 9"); other text prompts become UTF-8 bytes as ids. No EOS: every request generates max_tokens. GET /npuval/stats shows batching counters.',
      ),
  handler: async (args) => {
    if (!args.device || !args.model) throw new InputError('serve needs --device SPEC and --model M');
    if (!Number.isInteger(args['max-batch']) || args['max-batch'] < 1)
      throw new InputError(`--max-batch ${args['max-batch']} is not a positive integer`);
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535)
      throw new InputError(`--port ${args.port} is not a TCP port (0–65535; 0: any free port)`);
    // Checked now, created once the server listens: a serve that fails to start leaves no folder.
    const dir = journalDir(args);
    const device = createDevice(args.device);
    if (device.capabilities.generation !== 'onnx-decoder') {
      throw new InputError(
        `--device ${args.device} does not run an ONNX decoder (it generates with its own model, or not at all); serve needs an in-process device such as ort:cpu`,
      );
    }
    const opened = await openDecoder(device, args.model, { dtype: args.dtype as 'float32' | 'float16', seed: args['weight-seed'] });
    const { zoo, vocab } = opened;
    const engine = new BatchEngine(opened.decoder, args['max-batch']);
    // Finished requests are journaled once a second in one record: an fsync per request would
    // block the event loop under the requests in flight.
    let pending: ServedRequest[] = [];
    let server: LlmServer;
    try {
      server = await startLlmServer({
        engine,
        modelName: args.name ?? args.model,
        vocabSize: vocab,
        port: args.port,
        host: args.host,
        maxContext: zoo ? Number(zoo.config.max_position_embeddings) || null : null,
        onRequest: (r) => pending.push(r),
      });
    } catch (err) {
      // Without this the open session keeps the process alive after the error.
      await opened.close();
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
        throw new EnvironmentError(`cannot listen on ${args.host}:${args.port}: ${code} (${(err as Error).message})`);
      }
      throw err;
    }
    const journal = new Journal(join(dir, 'journal.jsonl'));
    journal.append('serve.start', {
      device: await device.describe(),
      model: args.model,
      weightSeed: args['weight-seed'],
      maxBatch: args['max-batch'],
    } as Record<string, unknown>);
    const flush = () => {
      if (pending.length) journal.append('serve.requests', { requests: pending });
      pending = [];
    };
    const timer = setInterval(flush, 1000);
    const ready = { url: server.url, model: args.name ?? args.model, device: device.id, maxBatch: args['max-batch'], outDir: dir };
    process.stdout.write(
      args.json
        ? JSON.stringify(ready) + '\n'
        : `npuval serve: ${ready.model} on ${device.id} at ${server.url} (max batch ${ready.maxBatch}); Ctrl-C stops\n`,
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.close();
    clearInterval(timer);
    flush();
    journal.append('serve.end', { stats: engine.snapshot() as unknown as Record<string, unknown> });
    journal.close();
    await opened.close();
    return 0;
  },
};

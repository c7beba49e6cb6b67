// NVIDIA GPUs: `nvidia-smi --query-gpu=index,power.draw --format=csv,noheader,nounits -lms N`
// prints one line per GPU every N ms ("0, 71.24"); we keep the lines of the GPU asked for.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { firstLine, runTool } from './process.js';
import type { PowerReading, PowerRun, PowerSample, PowerSampler } from './types.js';

const QUERY = ['--query-gpu=index,power.draw', '--format=csv,noheader,nounits'];

/** Parses nvidia-smi's CSV lines ("index, watts") for one GPU; "[N/A]"-style values are skipped and counted. */
export function parseNvidiaSmiCsv(text: string, gpu: number): { watts: number[]; unsupported: number } {
  const watts: number[] = [];
  let unsupported = 0;
  for (const line of text.split('\n')) {
    const cells = line.split(',').map((c) => c.trim());
    if (cells.length < 2 || cells[0] === '' || Number(cells[0]) !== gpu) continue;
    const w = Number(cells[1]!.replace(/\s*W$/, ''));
    if (Number.isFinite(w)) watts.push(w);
    else unsupported++;
  }
  return { watts, unsupported };
}

export class NvidiaSmiSampler implements PowerSampler {
  readonly name = 'nvidia-smi';
  constructor(
    readonly intervalMs = 100,
    readonly gpu = 0,
    private readonly command = 'nvidia-smi',
  ) {}

  async check(): Promise<string | null> {
    const out = await runTool(this.command, [...QUERY, '-i', String(this.gpu)]);
    if (!out.ok) return out.error;
    const parsed = parseNvidiaSmiCsv(out.stdout, this.gpu);
    if (parsed.watts.length === 0) {
      return parsed.unsupported > 0
        ? `nvidia-smi reports no power.draw for GPU ${this.gpu} ([N/A] or [Not Supported])`
        : `nvidia-smi printed no power reading for GPU ${this.gpu}`;
    }
    return null;
  }

  start(): PowerRun {
    const t0 = performance.now();
    const samples: PowerSample[] = [];
    const notes: string[] = [];
    let buffer = '';
    let stderr = '';
    let unsupported = 0;
    const child = spawn(this.command, [...QUERY, '-i', String(this.gpu), `-lms`, String(this.intervalMs)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      const t = performance.now() - t0;
      const parsed = parseNvidiaSmiCsv(lines.join('\n'), this.gpu);
      unsupported += parsed.unsupported;
      for (const w of parsed.watts) samples.push({ tMs: t, watts: w });
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c: string) => (stderr += c));
    let exited = false;
    const exit = new Promise<void>((resolve) => {
      child.on('error', (err) => {
        notes.push(`nvidia-smi could not start: ${err.message}`);
        exited = true;
        resolve();
      });
      child.on('exit', (code, signal) => {
        if (!stopping) notes.push(`nvidia-smi exited early (${signal ?? `exit ${code}`})${stderr ? `: ${firstLine(stderr)}` : ''}`);
        exited = true;
        resolve();
      });
    });
    let stopping = false;
    return {
      stop: async (): Promise<PowerReading> => {
        const durationMs = performance.now() - t0;
        stopping = true;
        if (!exited) child.kill('SIGTERM');
        await exit;
        if (unsupported > 0) notes.push(`${unsupported} readings were not numbers ([N/A])`);
        return {
          sampler: this.name,
          source: `nvidia-smi power.draw, GPU ${this.gpu}`,
          intervalMs: this.intervalMs,
          samples,
          durationMs,
          energyJoules: null,
          notes,
        };
      },
    };
  }
}

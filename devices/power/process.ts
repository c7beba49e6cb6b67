// Helpers for samplers that read a command-line tool's output.
import { execFile } from 'node:child_process';

export interface ToolOutput {
  readonly ok: boolean;
  readonly stdout: string;
  /** Why it failed, in one sentence, when !ok. */
  readonly error: string | null;
}

/** Runs a tool once with a timeout; never rejects. A missing tool says "not found on PATH". */
export function runTool(cmd: string, args: readonly string[], timeoutMs = 5000): Promise<ToolOutput> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      if (!err) return resolve({ ok: true, stdout, error: null });
      const code = (err as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT'
          ? `${cmd} was not found on PATH`
          : code === 'EACCES'
            ? `${cmd} is not executable`
            : `${cmd} ${args.join(' ')} failed: ${firstLine(stderr) || firstLine(err.message)}`;
      resolve({ ok: false, stdout, error: why });
    });
  });
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ''
  );
}

// Shared libraries as the Linux dynamic linker sees them: is a file an ELF shared object for this
// machine, which of its dependencies the linker cannot find (ldd), can it find a library by name,
// and which file this process has mapped under a name. Used to say *before* ONNX Runtime or the
// Vulkan loader tries (and prints to a stderr npuval cannot read) why a library will not load.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { basename, join } from 'node:path';

/** ELF e_machine of the libraries this process can load. */
const ELF_MACHINE: Readonly<Record<string, { readonly code: number; readonly name: string }>> = {
  x64: { code: 62, name: 'x86-64' },
  arm64: { code: 183, name: 'AArch64' },
};
const ELF_MACHINE_NAMES: Readonly<Record<number, string>> = { 3: 'x86 (32-bit)', 40: 'ARM (32-bit)', 62: 'x86-64', 183: 'AArch64' };

/** Why `path` is not a shared library this process could load, or null when its ELF header says it is. */
export function notASharedLibrary(path: string): string | null {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n < header.length || header.readUInt32BE(0) !== 0x7f454c46) return 'is not a shared library (no ELF header)';
  if (header[4] !== 2 || header[5] !== 1) return 'is not a 64-bit little-endian ELF file';
  const type = header.readUInt16LE(16);
  if (type !== 3) return `is an ELF file of type ${type}, not a shared object`;
  const machine = header.readUInt16LE(18);
  const want = ELF_MACHINE[process.arch];
  if (want && machine !== want.code)
    return `is built for ${ELF_MACHINE_NAMES[machine] ?? `ELF machine ${machine}`}, but this is ${want.name} (${process.arch})`;
  return null;
}

export interface LinkerReport {
  /** Dependencies the dynamic linker cannot find, in ldd's order. */
  readonly missing: readonly string[];
  /** Every dependency ldd listed (found or not), by name. */
  readonly needed: readonly string[];
}

/**
 * What the dynamic linker makes of `path` with this process's environment (LD_LIBRARY_PATH as the
 * process started with it). Returns null when ldd is not installed; throws with ldd's own words when
 * ldd cannot read the file as a shared library at all.
 */
export function linkerReport(path: string): LinkerReport | null {
  const r = spawnSync('ldd', [path], { encoding: 'utf8', timeout: 30_000, env: process.env });
  if (r.error) return null;
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || /not a dynamic executable/.test(out)) {
    throw new Error(out.trim().split('\n')[0]?.replace(/^\s*/, '') || `ldd exited with ${r.status}`);
  }
  const needed: string[] = [];
  const missing: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\S+)\s+=>\s+(.*)$/.exec(line);
    if (!m) continue;
    needed.push(m[1]!);
    if (/^not found/.test(m[2]!)) missing.push(m[1]!);
  }
  return { missing, needed };
}

/** Library folders the dynamic linker searches without LD_LIBRARY_PATH or its cache. */
const DEFAULT_LIB_DIRS = ['/lib', '/usr/lib', '/lib64', '/usr/lib64', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu'];

let ldconfigCache: Set<string> | null | undefined;

/** Library names in the linker's cache (`ldconfig -p`), or null when ldconfig is not there to ask. */
function cachedLibraryNames(): Set<string> | null {
  if (ldconfigCache !== undefined) return ldconfigCache;
  for (const ldconfig of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    const r = spawnSync(ldconfig, ['-p'], { encoding: 'utf8', timeout: 30_000 });
    if (r.error || r.status !== 0) continue;
    ldconfigCache = new Set(r.stdout.split('\n').flatMap((l) => /^\s+(\S+)\s/.exec(l)?.[1] ?? []));
    return ldconfigCache;
  }
  ldconfigCache = null;
  return null;
}

/**
 * Whether dlopen of a bare library name (no slash) would find a file: LD_LIBRARY_PATH, the linker's
 * cache, the default folders. null when that cannot be told here (no ldconfig and not found by path).
 */
export function linkerFinds(name: string): boolean | null {
  const dirs = [...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean), ...DEFAULT_LIB_DIRS];
  if (dirs.some((dir) => existsSync(join(dir, name)))) return true;
  const cache = cachedLibraryNames();
  return cache ? cache.has(name) : null;
}

/**
 * The files this process has mapped whose name starts with `fileName` (libonnxruntime_providers_cuda.so
 * also matches a versioned libonnxruntime_providers_cuda.so.1.30.0 it links to); the kernel names
 * them by their real path, symbolic links resolved. Empty where /proc is not there.
 */
export function mappedLibraries(fileName: string): string[] {
  let maps: string;
  try {
    maps = readFileSync('/proc/self/maps', 'utf8');
  } catch {
    return [];
  }
  const paths = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.split(/\s+/).slice(5).join(' ');
    if (basename(path).startsWith(fileName)) paths.add(path);
  }
  return [...paths];
}

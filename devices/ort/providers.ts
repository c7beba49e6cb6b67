// ONNX Runtime's CUDA and TensorRT EPs from provider libraries the user names (`ort:cuda?providers=DIR`
// or NPUVAL_ORT_PROVIDERS=DIR). onnxruntime-node ships neither (its install script that downloads them
// is kept off), and ONNX Runtime loads libonnxruntime_providers_shared.so and
// libonnxruntime_providers_<ep>.so only from the folder of the libonnxruntime.so it runs from, when the
// first session on that EP is created. So npuval checks the named folder first (it exists, holds the
// libraries, they are shared objects for this machine built for the bundled ONNX Runtime version, the
// dynamic linker finds what they need) and then links them into that folder. Why links there and not
// a copy of onnxruntime-node elsewhere: docs/devices.md#cuda.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { DeviceInputError, DeviceUnavailableError } from '../errors.js';
import { linkerReport, mappedLibraries, notASharedLibrary } from './shared-libs.js';

/** The environment variable that names the provider folder for every `ort:cuda`/`ort:tensorrt` spec without `providers=`. */
export const PROVIDERS_ENV = 'NPUVAL_ORT_PROVIDERS';

/** EPs whose ONNX Runtime code lives in a provider library of its own. */
export const PROVIDER_EPS: readonly string[] = ['cuda', 'tensorrt'];

const SHARED_LIB = 'libonnxruntime_providers_shared.so';
const EP_TITLE: Readonly<Record<string, string>> = { cuda: 'CUDA', tensorrt: 'TensorRT' };

export function providerLibName(ep: string): string {
  return `libonnxruntime_providers_${ep}.so`;
}

/**
 * Where packages keep the libraries below the folder a user may name: the folder itself, an ONNX
 * Runtime GPU release (lib/), its NuGet package (runtimes/linux-x64/native/), the Unity npm package
 * com.github.asus4.onnxruntime.linux-x64-gpu (Plugins/Linux/x64/).
 */
const LAYOUTS = ['', 'lib', `runtimes/linux-${process.arch}/native`, `Plugins/Linux/${process.arch}`];

/** A checked folder of provider libraries for one EP. */
export interface ProviderLibs {
  readonly ep: string;
  /** The folder holding the libraries (the named one, or its lib/ … below it). */
  readonly dir: string;
  /** The shared library and the EP's own, as paths in `dir`. */
  readonly files: readonly string[];
  /** The ONNX Runtime version the EP library is built for. */
  readonly version: string;
  /** Libraries the EP library needs that the dynamic linker cannot find (ldd); empty when ldd is not installed. */
  readonly missing: readonly string[];
}

/**
 * Checks a folder of provider libraries for `ep` against the ONNX Runtime `runtimeVersion` that will
 * load them; returns them, or one sentence (starting lower-case, to follow "`where`: ") saying what is wrong.
 */
export function inspectProviderDir(ep: string, named: string, runtimeVersion: string): ProviderLibs | string {
  const dir = resolve(named);
  if (!existsSync(dir)) return `${dir} does not exist`;
  if (!statSync(dir).isDirectory()) return `${dir} is not a folder`;
  const wanted = [SHARED_LIB, providerLibName(ep)];
  const found = LAYOUTS.map((sub) => join(dir, sub)).find((d) => wanted.every((lib) => existsSync(join(d, lib))));
  if (!found) {
    const partial = LAYOUTS.map((sub) => join(dir, sub)).find((d) => wanted.some((lib) => existsSync(join(d, lib))));
    const missing = wanted.filter((lib) => !existsSync(join(partial ?? dir, lib)));
    return `${partial ?? dir} holds no ${missing.join(' and no ')} (the ${EP_TITLE[ep] ?? ep} EP needs both; an ONNX Runtime GPU release keeps them in lib/)`;
  }
  const files = wanted.map((lib) => join(found, lib));
  for (const file of files) {
    const problem = notASharedLibrary(file);
    if (problem) return `${file} ${problem}`;
  }
  const version = builtForVersion(files[1]!);
  if (!version) {
    return `cannot tell which ONNX Runtime version ${files[1]} is built for (no version string in it, no libonnxruntime.so.X.Y.Z or VERSION_NUMBER beside it), and onnxruntime-node ${runtimeVersion} loads only its own version's`;
  }
  if (version !== runtimeVersion) {
    return `the provider libraries in ${found} are built for ONNX Runtime ${version}, but npuval runs onnxruntime-node ${runtimeVersion}, which loads only ${runtimeVersion}'s (get the ONNX Runtime ${runtimeVersion} GPU release: docs/devices.md#cuda)`;
  }
  const linker = cachedLinkerReport(files[1]!);
  if (typeof linker === 'string') return `${files[1]} cannot be loaded: ldd says "${linker}"`;
  return { ep, dir: found, files, version, missing: linker?.missing ?? [] };
}

/** Version strings ONNX Runtime compiles into an EP library ("1.29.0"), NUL-delimited like every C string. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is what delimits C strings in a library
const ORT_VERSION_STRING = /\x00(1\.[1-9]\d\.\d{1,3})(?=\x00)/g;

/** A file's identity for the caches below: the same path, size and time is the same library. */
function fileKey(file: string): string {
  const st = statSync(file);
  return `${realpathSync(file)}:${st.size}:${st.mtimeMs}`;
}

const versionCache = new Map<string, string | null>();
const linkerCache = new Map<string, ReturnType<typeof linkerReport> | string>();

/** ldd's report on a library (once per process: LD_LIBRARY_PATH is fixed when it starts), or what ldd said when it cannot read it. */
function cachedLinkerReport(file: string): ReturnType<typeof linkerReport> | string {
  const key = fileKey(file);
  if (!linkerCache.has(key)) {
    try {
      linkerCache.set(key, linkerReport(file));
    } catch (err) {
      linkerCache.set(key, (err as Error).message);
    }
  }
  return linkerCache.get(key)!;
}

/**
 * The ONNX Runtime version an EP library is built for. ORT compiles its version string into each EP
 * library (the EP factory reports it; checked on 1.29.0's CUDA and TensorRT libraries), so the
 * library itself says it; a release's libonnxruntime.so.X.Y.Z or VERSION_NUMBER beside it is the
 * fallback. null when none says, or the library holds several candidates.
 */
export function builtForVersion(file: string): string | null {
  const key = fileKey(file);
  if (!versionCache.has(key)) versionCache.set(key, versionInLibrary(file) ?? versionBeside(dirname(file)));
  return versionCache.get(key)!;
}

function versionInLibrary(file: string): string | null {
  const CHUNK = 16 << 20;
  const OVERLAP = 16; // longer than "\0" + a version + "\0", so none is split between chunks unseen
  const found = new Set<string>();
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(CHUNK + OVERLAP);
    let carry = 0;
    for (let pos = 0; pos < size; ) {
      const n = readSync(fd, buf, carry, CHUNK, pos);
      if (n === 0) break;
      for (const m of buf.toString('latin1', 0, carry + n).matchAll(ORT_VERSION_STRING)) found.add(m[1]!);
      const keep = Math.min(OVERLAP, carry + n);
      buf.copy(buf, 0, carry + n - keep, carry + n);
      carry = keep;
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return found.size === 1 ? [...found][0]! : null;
}

function versionBeside(dir: string): string | null {
  const named = readdirSync(dir)
    .map((f) => /^libonnxruntime\.so\.(\d+\.\d+\.\d+)$/.exec(f)?.[1])
    .filter((v): v is string => v !== undefined);
  if (named.length === 1) return named[0]!;
  for (const file of [join(dir, 'VERSION_NUMBER'), join(dir, '..', 'VERSION_NUMBER')]) {
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    if (/^\d+\.\d+\.\d+$/.test(text)) return text;
  }
  return null;
}

/** The real folder of the libonnxruntime.so onnxruntime-node loads, where ORT looks for provider libraries. */
export function bundledLibDir(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  const bin = join(pkg, 'bin');
  for (const napi of existsSync(bin) ? readdirSync(bin).sort().reverse() : []) {
    const dir = join(bin, napi, process.platform, process.arch);
    if (existsSync(dir)) return realpathSync(dir);
  }
  throw new DeviceUnavailableError(`onnxruntime-node has no native binary folder for ${process.platform}/${process.arch} under ${bin}`);
}

/** What to install for a library the dynamic linker cannot find, from its name. */
export function installHint(lib: string): string {
  const major = /\.so\.(\d+)/.exec(lib)?.[1];
  const cuda = major ? ` of CUDA ${major}` : '';
  const rules: readonly [RegExp, string][] = [
    [/^libcuda\.so/, "the NVIDIA driver's CUDA library: this machine has no NVIDIA driver, or the container was started without the GPU"],
    [/^libcudart\.so/, `the CUDA runtime${cuda}`],
    [/^libcublas(Lt)?\.so/, `cuBLAS${cuda}`],
    [/^libcurand\.so/, 'cuRAND (CUDA toolkit)'],
    [/^libcufft\.so/, 'cuFFT (CUDA toolkit)'],
    [/^libnvrtc/, `NVRTC${cuda}`],
    [/^libcudnn/, `cuDNN${major ? ` ${major}` : ''}`],
    [/^libnv(infer|onnxparser)/, `TensorRT${major ? ` ${major}` : ''}`],
  ];
  const rule = rules.find(([re]) => re.test(lib));
  return rule ? `${lib}: ${rule[1]}` : lib;
}

/** The sentence for libraries a provider library needs that the dynamic linker cannot find. */
export function missingLibrariesSentence(file: string, missing: readonly string[]): string {
  const [what, them] = missing.length === 1 ? ['a library', 'it'] : ['libraries', 'them'];
  return (
    `${basename(file)} needs ${what} the dynamic linker cannot find (${missing.map(installHint).join('; ')}); ` +
    `install ${them} and put ${missing.length === 1 ? 'its folder' : 'their folders'} on LD_LIBRARY_PATH before starting npuval (docs/devices.md#cuda)`
  );
}

/**
 * Makes ORT find the libraries: a symbolic link to each in `target` (the bundled libonnxruntime.so's
 * folder), made under a private name and renamed into place, so concurrent runs never see a partial
 * link. A link there to the same file is kept; one to another file is replaced (it was npuval's, or
 * another folder's link); a real file of onnxruntime-node's own install is never touched.
 */
export function linkProviderLibs(libs: ProviderLibs, target: string): void {
  for (const file of libs.files) {
    const name = basename(file);
    const dest = join(target, name);
    const current = lstatOrNull(dest);
    if (current && sameFile(dest, file)) continue;
    if (current && !current.isSymbolicLink()) {
      throw new DeviceInputError(
        `onnxruntime-node's folder ${target} already holds its own ${name} (ONNXRUNTIME_NODE_INSTALL=cuda12 installs one there); drop providers= (and ${PROVIDERS_ENV}) to use it, or remove it to use ${libs.dir}`,
      );
    }
    const temp = join(target, `.${name}.npuval-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      symlinkSync(file, temp);
      renameSync(temp, dest);
    } catch (err) {
      rmSync(temp, { force: true });
      const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new DeviceUnavailableError(
        `cannot link ${name} into ${target} (${code}), the only folder ONNX Runtime loads provider libraries from; as a user who may write there run: ln -sf ${libs.files.join(' ')} ${target}/`,
      );
    }
  }
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false; // a dangling link
  }
}

/**
 * The folder this process already loaded the EP's library from when that is not `libs`' (a process
 * keeps the first it loads), or null.
 */
export function loadedElsewhere(libs: ProviderLibs): string | null {
  const own = realpathSync(libs.files[1]!);
  const loaded = mappedLibraries(basename(libs.files[1]!));
  return loaded.length && !loaded.includes(own) ? dirname(loaded[0]!) : null;
}

/**
 * The provider libraries a spec names, checked (null when it names none): its `providers` option, else
 * NPUVAL_ORT_PROVIDERS. Throws DeviceInputError naming the option or variable when they cannot serve.
 */
export function namedProviderLibs(ep: string, option: string | undefined, specId: string, runtimeVersion: string): ProviderLibs | null {
  const named = option ?? (process.env[PROVIDERS_ENV] || undefined);
  if (named === undefined) return null;
  const where = option === undefined ? `${PROVIDERS_ENV}=${named}` : `providers=${named} in ${specId}`;
  if (named.trim() === '') throw new DeviceInputError(`${where} names no folder`);
  const libs = inspectProviderDir(ep, named, runtimeVersion);
  if (typeof libs === 'string') throw new DeviceInputError(`${where}: ${libs}`);
  return libs;
}

/**
 * The libraries ORT will load for `ep` when the spec names none: those already in its own folder
 * (onnxruntime-node's install script, or links an earlier run placed). Throws DeviceUnavailableError
 * saying how to provide them when there are none, or what is wrong with them.
 */
export function installedProviderLibs(ep: string, specId: string, runtimeVersion: string): ProviderLibs {
  const target = bundledLibDir();
  const title = EP_TITLE[ep] ?? ep;
  if (!existsSync(join(target, providerLibName(ep)))) {
    throw new DeviceUnavailableError(
      `${specId} is unavailable: onnxruntime-node ${runtimeVersion} ships no ${title} EP; name a folder of ONNX Runtime ${runtimeVersion} GPU provider libraries with ${specId}?providers=DIR or ${PROVIDERS_ENV}=DIR (docs/devices.md#cuda)`,
    );
  }
  const libs = inspectProviderDir(ep, target, runtimeVersion);
  if (typeof libs === 'string')
    throw new DeviceUnavailableError(`${specId} is unavailable: the ${title} EP in onnxruntime-node's folder: ${libs}`);
  return libs;
}

/**
 * Before the first session on a provider EP: the libraries ORT will load exist, load here (their
 * dependencies are found) and are the ones this process will use, and ORT's folder links to them.
 * Returns the libraries, for the check after the session opened (verifyLoaded).
 */
export function readyProviderLibs(ep: string, named: ProviderLibs | null, specId: string, runtimeVersion: string): ProviderLibs {
  const libs = named ?? installedProviderLibs(ep, specId, runtimeVersion);
  if (libs.missing.length)
    throw new DeviceUnavailableError(`${specId} is unavailable: ${missingLibrariesSentence(libs.files[1]!, libs.missing)}`);
  const elsewhere = loadedElsewhere(libs);
  if (elsewhere) {
    throw new DeviceInputError(
      `${specId}: this process already loaded the ${EP_TITLE[ep] ?? ep} EP from ${elsewhere} and keeps it, so it cannot use ${libs.dir}; run that folder's in a separate npuval command`,
    );
  }
  if (named) linkProviderLibs(libs, bundledLibDir());
  return libs;
}

/** After a session opened: the EP library the process mapped is `libs`' (another run may have relinked meanwhile). */
export function verifyLoaded(libs: ProviderLibs, specId: string): void {
  const elsewhere = loadedElsewhere(libs);
  if (elsewhere) {
    throw new DeviceUnavailableError(
      `${specId} is unavailable: ONNX Runtime loaded the ${EP_TITLE[libs.ep] ?? libs.ep} EP from ${elsewhere}, not ${libs.dir} (another npuval run linked its own folder meanwhile; run one provider folder per onnxruntime-node installation at a time)`,
    );
  }
}

/** ORT's messages when a provider library cannot load or find its device (as opposed to a model problem). */
const PROVIDER_SETUP_FAILURE =
  /OrtSessionOptionsAppendExecutionProvider|Failed to load (shared )?library|cannot open shared object file|CUDA failure|CUDA error|CUDA driver|no CUDA-capable device|cudaErrorNoDevice|CUDNN failure|cuDNN|TensorRT EP (could not|failed)|nvinfer/i;

/** A session error on a provider EP as "unavailable here" with the reason and what to install, or null when it is about the model. */
export function providerSetupFailure(message: string, ep: string, specId: string): DeviceUnavailableError | null {
  if (!PROVIDER_SETUP_FAILURE.test(message)) return null;
  const cleaned = message.replace(/\/onnxruntime_src\/\S+:\d+ [^\n]*?\) /g, '').replace(/\[ONNXRuntimeError\] : \d+ : \w+ : /g, '');
  const lib = /(lib[\w.+-]+\.so[.\d]*): cannot open shared object file/.exec(cleaned)?.[1];
  const title = EP_TITLE[ep] ?? ep;
  const reason = lib
    ? `ONNX Runtime could not load the ${title} EP because the dynamic linker cannot find ${installHint(lib)} (install it and put its folder on LD_LIBRARY_PATH before starting npuval)`
    : `the ${title} EP failed to start: ${cleaned.split('\n')[0]!.trim()}${/Failed to load shared library$/.test(cleaned.trim()) ? " (ONNX Runtime's own reason is in its native log: rerun with --verbose)" : ''}`;
  return new DeviceUnavailableError(`${specId} is unavailable: ${reason}`);
}

/** A short line for a device's notes: where its provider libraries come from. */
export function providerNote(libs: ProviderLibs): string {
  return `${EP_TITLE[libs.ep] ?? libs.ep} EP libraries from ${libs.dir} (built for ONNX Runtime ${libs.version})`;
}

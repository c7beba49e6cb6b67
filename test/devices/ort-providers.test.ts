// ort:cuda / ort:tensorrt from provider libraries the user names (docs/devices.md#cuda), and the
// Vulkan loader's driver variables for ort:webgpu (docs/devices.md#webgpu-on-an-nvidia-gpu). Fake
// provider folders are built in a tmp folder (ELF headers by hand, real shared objects with gcc) and
// go through the real CLI; nothing here writes into onnxruntime-node's folder.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeviceInputError, DeviceUnavailableError } from '../../devices/errors.js';
import { ortVersion } from '../../devices/ort/index.js';
import {
  builtForVersion,
  bundledLibDir,
  inspectProviderDir,
  installHint,
  linkProviderLibs,
  providerLibName,
  providerSetupFailure,
  type ProviderLibs,
} from '../../devices/ort/providers.js';
import { repoRoot } from '../helpers/cli.js';
import { deps, SWIFTSHADER_ICD, systemTest, type SystemDep } from '../helpers/system.js';

const root = mkdtempSync(join(tmpdir(), 'npuval-ort-providers-'));
const VERSION = ortVersion();
const SHARED = 'libonnxruntime_providers_shared.so';
const CUDA = providerLibName('cuda');

const gcc: SystemDep = {
  name: 'gcc',
  present: () => spawnSync('gcc', ['--version'], { stdio: 'ignore' }).status === 0,
  install: 'apt-get install gcc',
};
const ldd: SystemDep = {
  name: 'ldd',
  present: () => spawnSync('ldd', ['--version'], { stdio: 'ignore' }).status === 0,
  install: 'apt-get install libc-bin',
};

/** Runs the CLI with these variables set (undefined: removed). */
function npuvalWith(env: Record<string, string | undefined>, ...args: string[]) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  return spawnSync(process.execPath, [repoRoot + 'bin/npuval.js', ...args], { env: childEnv, encoding: 'utf8' });
}

interface Listed {
  readonly id: string;
  readonly available: boolean;
  readonly reason: string | null;
  readonly description: { readonly driver: { readonly detail: string } | null; readonly notes: readonly string[] } | null;
}

function devices(env: Record<string, string | undefined>, ...specs: string[]): { status: number | null; stderr: string; listed: Listed[] } {
  const r = npuvalWith(env, 'devices', '--json', ...specs.flatMap((s) => ['--device', s]));
  return { status: r.status, stderr: r.stderr, listed: r.stdout.trim() ? (JSON.parse(r.stdout) as { devices: Listed[] }).devices : [] };
}

/** A file that starts like an ELF shared object for `machine` and holds `strings` NUL-delimited, but is not loadable. */
function fakeElf(path: string, strings: readonly string[], machine = process.arch === 'arm64' ? 183 : 62): void {
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header[6] = 1;
  header.writeUInt16LE(3, 16); // ET_DYN
  header.writeUInt16LE(machine, 18);
  writeFileSync(path, Buffer.concat([header, Buffer.from(`\0${strings.join('\0')}\0`, 'latin1')]));
}

/** A folder with the shared library and a fake CUDA one holding `version`. */
function fakeDir(name: string, version: string, machine?: number): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  fakeElf(join(dir, SHARED), []);
  fakeElf(join(dir, CUDA), ['CUDA', version, 'cudaSetDevice(id)'], machine);
  return dir;
}

/** Real shared objects (gcc): the CUDA one holds `version` and needs `needed` (sonames that will not exist). */
function builtDir(name: string, version: string, needed: readonly string[]): string {
  const dir = join(root, name);
  const stubs = join(root, `${name}-stubs`);
  mkdirSync(dir, { recursive: true });
  mkdirSync(stubs, { recursive: true });
  const cc = (args: string[]) => {
    const r = spawnSync('gcc', ['-shared', '-fPIC', ...args], { encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
  };
  writeFileSync(join(stubs, 'stub.c'), 'int stub_fn(void) { return 1; }\n');
  const stubFiles = needed.map((soname) => {
    cc(['-o', join(stubs, soname), `-Wl,-soname,${soname}`, join(stubs, 'stub.c')]);
    return join(stubs, soname);
  });
  writeFileSync(
    join(stubs, 'provider.c'),
    `__attribute__((used)) const char ort_version[] = "${version}";\nint GetProvider(void) { return 0; }\n`,
  );
  // Linking a stub by path records its soname as NEEDED; the stubs are then left where no linker looks.
  cc(['-o', join(dir, CUDA), join(stubs, 'provider.c'), '-Wl,--no-as-needed', ...stubFiles]);
  cc(['-o', join(dir, SHARED), join(stubs, 'stub.c')]);
  return dir;
}

test('a providers folder that does not exist, or lacks the libraries, is bad input (exit 2) naming the option and what is missing', () => {
  const none = join(root, 'nowhere');
  let r = npuvalWith({}, 'devices', '--device', `ort:cuda?providers=${none}`);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`^npuval: providers=${none} in ort:cuda: ${none} does not exist`));
  const empty = join(root, 'empty');
  mkdirSync(empty);
  r = npuvalWith({}, 'devices', '--device', `ort:tensorrt:0?providers=${empty}`);
  assert.is(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /in ort:tensorrt:0: .*empty holds no libonnxruntime_providers_shared\.so and no libonnxruntime_providers_tensorrt\.so/,
  );
  assert.not.match(r.stderr, /\n\s+at /, 'no stack trace');
});

test('provider libraries built for another ONNX Runtime version are refused in one sentence naming both versions', () => {
  const dir = fakeDir('old', '1.29.0');
  const r = npuvalWith({}, 'devices', '--device', `ort:cuda?providers=${dir}`);
  assert.is(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    `the provider libraries in ${dir} are built for ONNX Runtime 1.29.0, but npuval runs onnxruntime-node ${VERSION}, which loads only ${VERSION}'s`,
  );
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('a provider library that is not a shared object for this machine is refused (exit 2) saying why', () => {
  const text = fakeDir('text', VERSION);
  writeFileSync(join(text, CUDA), 'not a library\n');
  let r = npuvalWith({}, 'devices', '--device', `ort:cuda?providers=${text}`);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, `${join(text, CUDA)} is not a shared library (no ELF header)`);
  const foreign = fakeDir('foreign', VERSION, process.arch === 'arm64' ? 62 : 183);
  r = npuvalWith({}, 'devices', '--device', `ort:cuda?providers=${foreign}`);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /is built for (AArch64|x86-64), but this is/);
});

systemTest(test, ldd, 'an ELF header with nothing loadable behind it is refused with what ldd says (exit 2)', () => {
  const dir = fakeDir('hollow', VERSION);
  const r = npuvalWith({}, 'devices', '--device', `ort:cuda?providers=${dir}`);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`${CUDA.replace(/\./g, '\\.')} cannot be loaded: ldd says "`));
});

systemTest(test, gcc, 'libraries the dynamic linker cannot find make the device unavailable (exit 3) naming each and what it is', () => {
  const dir = builtDir('needs-cuda', VERSION, ['libcublasLt.so.99', 'libnvinfer.so.99']);
  const { status, listed, stderr } = devices({}, `ort:cuda?providers=${dir}`);
  assert.is(status, 3, stderr);
  assert.is(listed[0]!.available, false);
  assert.match(
    listed[0]!.reason!,
    /^ort:cuda is unavailable: libonnxruntime_providers_cuda\.so needs libraries the dynamic linker cannot find \(libcublasLt\.so\.99: cuBLAS of CUDA 99; libnvinfer\.so\.99: TensorRT 99\); install them and put their folders on LD_LIBRARY_PATH/,
  );
  // The checks of the folder passed, so the device describes where its libraries come from.
  assert.ok(
    listed[0]!.description?.notes.some((n) => n === `CUDA EP libraries from ${dir} (built for ONNX Runtime ${VERSION})`),
    JSON.stringify(listed[0]),
  );
});

test('NPUVAL_ORT_PROVIDERS names the folder for ort:cuda without providers=; ort:cpu ignores it and refuses the option', () => {
  const none = join(root, 'env-nowhere');
  let r = npuvalWith({ NPUVAL_ORT_PROVIDERS: none }, 'devices', '--device', 'ort:cuda');
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, `npuval: NPUVAL_ORT_PROVIDERS=${none}: ${none} does not exist`);
  const { status, listed, stderr } = devices({ NPUVAL_ORT_PROVIDERS: none }, 'ort:cpu');
  assert.is(status, 0, stderr);
  assert.is(listed[0]!.available, true);
  r = npuvalWith({}, 'devices', '--device', `ort:cpu?providers=${root}`);
  assert.is(r.status, 2, r.stderr);
  assert.match(r.stderr, /unknown option "providers" in .*; ort:cpu takes /);
});

test('ort:cuda with no provider libraries anywhere is unavailable (exit 3) saying how to name them', () => {
  if (existsSync(join(bundledLibDir(), CUDA))) return void console.log('  (onnxruntime-node here has its own CUDA EP: nothing to check)');
  const { status, listed } = devices({ NPUVAL_ORT_PROVIDERS: undefined }, 'ort:cuda');
  assert.is(status, 3);
  assert.match(
    listed[0]!.reason!,
    `ort:cuda is unavailable: onnxruntime-node ${VERSION} ships no CUDA EP; name a folder of ONNX Runtime ${VERSION} GPU provider libraries with ort:cuda?providers=DIR or NPUVAL_ORT_PROVIDERS=DIR`,
  );
});

test('the version is read from the EP library, also across a read-chunk boundary, else from the release files beside it', () => {
  const dir = join(root, 'big');
  mkdirSync(dir);
  const lib = join(dir, CUDA);
  // The scan reads 16 MiB at a time: place the version string across that boundary.
  const at = (16 << 20) - 3;
  const bytes = Buffer.alloc(at + 64);
  bytes.write(`\0${VERSION}\0`, at, 'latin1');
  writeFileSync(lib, bytes);
  assert.is(builtForVersion(lib), VERSION);

  const release = join(root, 'release', 'lib');
  mkdirSync(release, { recursive: true });
  writeFileSync(join(release, CUDA), 'no version in here');
  writeFileSync(join(release, 'libonnxruntime.so.1.28.1'), '');
  assert.is(builtForVersion(join(release, CUDA)), '1.28.1');
  const nuget = join(root, 'versioned', 'lib');
  mkdirSync(nuget, { recursive: true });
  writeFileSync(join(nuget, CUDA), 'no version in here');
  writeFileSync(join(root, 'versioned', 'VERSION_NUMBER'), '1.27.0\n');
  assert.is(builtForVersion(join(nuget, CUDA)), '1.27.0');
  // Two candidate versions: none is trusted.
  const two = join(root, 'two');
  mkdirSync(two);
  fakeElf(join(two, CUDA), ['1.29.0', '1.30.0']);
  assert.is(builtForVersion(join(two, CUDA)), null);
});

test("a package's layout below the named folder is found (a release's lib/, the Unity package's Plugins/Linux/<arch>/)", () => {
  const pkg = join(root, 'package');
  const inner = join(pkg, 'Plugins', 'Linux', process.arch);
  mkdirSync(inner, { recursive: true });
  fakeElf(join(inner, SHARED), []);
  fakeElf(join(inner, CUDA), ['1.29.0']);
  // Found there: it gets as far as the version check.
  assert.is(
    inspectProviderDir('cuda', pkg, '1.30.0'),
    `the provider libraries in ${inner} are built for ONNX Runtime 1.29.0, but npuval runs onnxruntime-node 1.30.0, which loads only 1.30.0's (get the ONNX Runtime 1.30.0 GPU release: docs/devices.md#cuda)`,
  );
});

test('linking into a target folder: links made, kept when they already point there, replaced when they point elsewhere; a real file is never replaced', () => {
  const target = join(root, 'target');
  mkdirSync(target);
  const libs = (dir: string): ProviderLibs => ({
    ep: 'cuda',
    dir,
    files: [join(dir, SHARED), join(dir, CUDA)],
    version: VERSION,
    missing: [],
  });
  const a = fakeDir('link-a', VERSION);
  const b = fakeDir('link-b', VERSION);
  linkProviderLibs(libs(a), target);
  assert.is(readlinkSync(join(target, CUDA)), join(a, CUDA));
  linkProviderLibs(libs(a), target);
  linkProviderLibs(libs(b), target);
  assert.is(readlinkSync(join(target, CUDA)), join(b, CUDA));
  assert.is(readlinkSync(join(target, SHARED)), join(b, SHARED));

  const owned = join(root, 'owned');
  mkdirSync(owned);
  writeFileSync(join(owned, SHARED), readFileSync(join(a, SHARED)));
  assert.throws(
    () => linkProviderLibs(libs(a), owned),
    (e: unknown) => e instanceof DeviceInputError && /already holds its own libonnxruntime_providers_shared\.so/.test(e.message),
  );
  assert.throws(
    () => linkProviderLibs(libs(a), join(root, 'no-such-target')),
    (e: unknown) => e instanceof DeviceUnavailableError && /cannot link .* \(ENOENT\).* ln -sf /.test(e.message),
  );
});

test("ORT's provider-load errors become 'unavailable' with what to install; model errors are left to the model", () => {
  const cudnn =
    '/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1988 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /x/libonnxruntime_providers_cuda.so with error: libcudnn.so.9: cannot open shared object file: No such file or directory';
  assert.match(
    providerSetupFailure(cudnn, 'cuda', 'ort:cuda')!.message,
    /^ort:cuda is unavailable: ONNX Runtime could not load the CUDA EP because the dynamic linker cannot find libcudnn\.so\.9: cuDNN 9 /,
  );
  assert.match(
    providerSetupFailure('CUDA failure 100: no CUDA-capable device is detected', 'cuda', 'ort:cuda')!.message,
    /no CUDA-capable device/,
  );
  assert.is(providerSetupFailure('Could not find an implementation for Foo(1) node with name foo', 'cuda', 'ort:cuda'), null);
  assert.match(installHint('libcuda.so.1'), /NVIDIA driver/);
  assert.match(installHint('libnvonnxparser.so.10'), /TensorRT 10/);
});

// ---- The Vulkan loader's variables for ort:webgpu ----

const icdDir = join(root, 'icd');
mkdirSync(icdDir);
function icd(name: string, library: string): string {
  const file = join(icdDir, name);
  writeFileSync(file, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }));
  return file;
}
/** No ICD folder the loader searches by default holds anything (XDG folders in tmp); /etc and /usr/local/etc stay as they are. */
const noDefaultIcds = {
  VK_ICD_FILENAMES: undefined,
  VK_DRIVER_FILES: undefined,
  VK_ADD_DRIVER_FILES: undefined,
  HOME: root,
  XDG_CONFIG_HOME: join(root, 'xdg-config'),
  XDG_CONFIG_DIRS: join(root, 'xdg-config-dirs'),
  XDG_DATA_HOME: join(root, 'xdg-data'),
  XDG_DATA_DIRS: join(root, 'xdg-data-dirs'),
};

test('VK_DRIVER_FILES replaces the search, and then VK_ADD_DRIVER_FILES is ignored as the loader ignores it', () => {
  // A manifest whose library exists: without the override it would count as a driver.
  const added = icd('added.json', process.execPath);
  const missing = join(icdDir, 'missing.json');
  const { status, listed, stderr } = devices({ ...noDefaultIcds, VK_DRIVER_FILES: missing, VK_ADD_DRIVER_FILES: added }, 'ort:webgpu');
  assert.is(status, 3, stderr);
  assert.match(listed[0]!.reason!, `ort:webgpu is unavailable: no Vulkan driver: no ICD file exists at VK_DRIVER_FILES=${missing}`);
});

test('an ICD that names a bare library the dynamic linker cannot find is no driver', () => {
  const bare = icd('bare_icd.json', 'libnpuval_no_such_vulkan_driver.so.0');
  const { status, listed } = devices({ ...noDefaultIcds, VK_DRIVER_FILES: bare }, 'ort:webgpu');
  assert.is(status, 3);
  assert.match(
    listed[0]!.reason!,
    /bare_icd\.json names libnpuval_no_such_vulkan_driver\.so\.0, which the dynamic linker cannot find \(add its folder/,
  );
});

systemTest(
  test,
  deps.swiftshader,
  'SwiftShader through VK_DRIVER_FILES (VK_ICD_FILENAMES unset, or naming nothing) runs ort:webgpu',
  () => {
    for (const legacy of [undefined, join(icdDir, 'missing.json')]) {
      const { status, listed, stderr } = devices(
        { ...noDefaultIcds, VK_DRIVER_FILES: SWIFTSHADER_ICD, VK_ICD_FILENAMES: legacy },
        'ort:webgpu',
      );
      assert.is(status, 0, stderr);
      assert.ok(listed[0]!.available, listed[0]!.reason ?? '');
      assert.match(listed[0]!.description!.driver!.detail, `SwiftShader (CPU Vulkan) via ${SWIFTSHADER_ICD} (VK_DRIVER_FILES)`);
    }
  },
);

systemTest(test, deps.swiftshader, 'SwiftShader through VK_ADD_DRIVER_FILES alone (no override, no default ICDs) runs ort:webgpu', () => {
  const { status, listed, stderr } = devices({ ...noDefaultIcds, VK_ADD_DRIVER_FILES: SWIFTSHADER_ICD }, 'ort:webgpu');
  assert.is(status, 0, stderr);
  assert.ok(listed[0]!.available, listed[0]!.reason ?? '');
  assert.match(listed[0]!.description!.driver!.detail, `SwiftShader (CPU Vulkan) via ${SWIFTSHADER_ICD}`);
});

test.run();

// The Vulkan driver the WebGPU EP's Dawn would get from the Vulkan loader, found the way the loader
// finds it on Linux, so that `ort:webgpu` can name its driver and be reported unavailable (instead of
// letting Dawn fail and print to a stderr npuval cannot read) when there is none that can load.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { linkerFinds } from './shared-libs.js';

/**
 * The NVIDIA driver's Vulkan manifest where container runtimes mount the driver (e.g. the NVIDIA
 * container toolkit's images put it under /usr/local/nvidia), outside the loader's default search.
 */
const NVIDIA_CONTAINER_ICDS = [
  '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json',
  '/usr/local/nvidia/etc/vulkan/icd.d/nvidia_icd.json',
];

/** Which variable replaced the loader's search, if any: VK_DRIVER_FILES wins over the older VK_ICD_FILENAMES, as in the loader. */
function overrideVariable(): 'VK_DRIVER_FILES' | 'VK_ICD_FILENAMES' | null {
  if (process.env.VK_DRIVER_FILES) return 'VK_DRIVER_FILES';
  return process.env.VK_ICD_FILENAMES ? 'VK_ICD_FILENAMES' : null;
}

/**
 * The Vulkan driver manifests (ICD files) the loader would read: VK_DRIVER_FILES (or the older
 * VK_ICD_FILENAMES) replaces the search, and then VK_ADD_DRIVER_FILES is ignored (checked with
 * loader 1.3.239: a missing VK_DRIVER_FILES file plus a good VK_ADD_DRIVER_FILES one finds no
 * driver); otherwise VK_ADD_DRIVER_FILES comes first, then the XDG config and data folders'
 * vulkan/icd.d. Each entry may be a manifest or a folder of them.
 */
export function vulkanIcdFiles(): { readonly override: string | null; readonly files: string[] } {
  const env = process.env;
  const list = (value: string | undefined) => (value ?? '').split(':').filter(Boolean);
  const manifests = (path: string) =>
    !existsSync(path)
      ? []
      : statSync(path).isDirectory()
        ? readdirSync(path)
            .filter((f) => f.endsWith('.json'))
            .sort()
            .map((f) => join(path, f))
        : [path];
  const override = overrideVariable();
  if (override) return { override, files: list(env[override]).flatMap(manifests) };
  const dirs = [
    env.XDG_CONFIG_HOME || join(homedir(), '.config'),
    ...list(env.XDG_CONFIG_DIRS || '/etc/xdg'),
    '/usr/local/etc',
    '/etc',
    env.XDG_DATA_HOME || join(homedir(), '.local/share'),
    ...list(env.XDG_DATA_DIRS || '/usr/local/share:/usr/share'),
  ].map((dir) => join(dir, 'vulkan', 'icd.d'));
  return { override: null, files: [...list(env.VK_ADD_DRIVER_FILES).flatMap(manifests), ...[...new Set(dirs)].flatMap(manifests)] };
}

/** The NVIDIA container manifest when it exists but the loader would not read it, as a hint. */
function nvidiaContainerHint(files: readonly string[]): string {
  const icd = NVIDIA_CONTAINER_ICDS.find((f) => existsSync(f) && !files.includes(f));
  return icd ? `; the NVIDIA driver's Vulkan manifest is at ${icd}: set VK_DRIVER_FILES=${icd} to use it` : '';
}

/** Why a manifest's driver library cannot load, or null when it may: a path must exist, a bare name must be one the dynamic linker finds. */
function unloadableLibrary(file: string): string | null {
  let lib: string | undefined;
  try {
    lib = (JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string } }).ICD?.library_path;
  } catch {
    return null; // unreadable: let the loader judge it
  }
  if (!lib) return null;
  if (lib.includes('/')) return existsSync(resolve(dirname(file), lib)) ? null : `${file} names ${lib}, which does not exist`;
  return linkerFinds(lib) === false
    ? `${file} names ${lib}, which the dynamic linker cannot find (add its folder, e.g. /usr/local/nvidia/lib64 in NVIDIA containers, to LD_LIBRARY_PATH)`
    : null;
}

/** Why there is no Vulkan driver for the WebGPU EP, or null when the loader has a manifest to try. */
export function missingVulkanDriver(): string | null {
  const { override, files } = vulkanIcdFiles();
  if (files.length === 0) {
    return override
      ? `no Vulkan driver: no ICD file exists at ${override}=${process.env[override]}${nvidiaContainerHint(files)}`
      : `no Vulkan driver: VK_DRIVER_FILES is unset and no vulkan/icd.d folder holds an ICD file${nvidiaContainerHint(files) || ' (without a GPU: apt-get install chromium libvulkan1, VK_DRIVER_FILES=/usr/lib/chromium/vk_swiftshader_icd.json)'}`;
  }
  const unloadable = files.map(unloadableLibrary);
  return unloadable.every((m) => m !== null) ? `no Vulkan driver: ${unloadable.join('; ')}${nvidiaContainerHint(files)}` : null;
}

/** The Vulkan ICDs the WebGPU EP (Dawn) will load, described; null (with the reason in notes) when none can. */
export function vulkanDriver(notes: string[]): { name: string; detail: string } | null {
  // Dawn's Vulkan backend loads these; SwiftShader is Chromium's CPU implementation.
  const { files, override } = vulkanIcdFiles();
  const missing = missingVulkanDriver();
  if (missing) {
    notes.push(missing);
    return null;
  }
  const names = files.map((file) => {
    try {
      const icd = JSON.parse(readFileSync(file, 'utf8')) as { ICD?: { library_path?: string; api_version?: string } };
      const lib = icd.ICD?.library_path ?? '?';
      const label = /swiftshader/i.test(lib) || /swiftshader/i.test(file) ? 'SwiftShader (CPU Vulkan)' : lib;
      return `${label} via ${file}${override ? ` (${override})` : ''}${icd.ICD?.api_version ? `, Vulkan ${icd.ICD.api_version}` : ''}`;
    } catch {
      notes.push(`Vulkan ICD file ${file} could not be read`);
      return file;
    }
  });
  return { name: 'vulkan', detail: names.join('; ') };
}

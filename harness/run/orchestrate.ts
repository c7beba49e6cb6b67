// `npuval run`: plans a suite, runs its units one at a time, journals each as it finishes, and
// assembles and renders the reports from the journal. `--resume DIR` re-reads the journal:
// finished units are kept, the unit that was in flight runs again. SIGINT or SIGTERM stops the unit in
// flight (its partial result is discarded, never journaled) and leaves a journal to resume from.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { catalogEntry } from '../../devices/catalog.js';
import { checkSpecs, createDevice, probe, probeAll } from '../../devices/index.js';
import { DEFAULT_SEED } from '../../models/zoo/index.js';
import type { Device } from '../../devices/types.js';
import { journalState, type JournalState, type RunPlan, type RunRecordInput } from '../../reports/assemble.js';
import { sha256Hex } from '../../reports/digest.js';
import { isMetricName } from '../../reports/metrics.js';
import type { Criterion, ProductInfo } from '../../reports/commercialization.js';
import type { DeviceEntry, UnitRecord } from '../../reports/types.js';
import { makeOutputDir, OutputWriteError } from '../durable.js';
import { EnvironmentError, InputError } from '../errors.js';
import { checkInputFile, checkInputFolder, checkOutputFolder } from '../input-file.js';
import { JOURNAL_FILE, Journal, readJournal } from '../journal.js';
import { MASK, redactText, registerSpecSecrets } from '../redact.js';
import '../workloads/index.js';
import { allWorkloads, workloadOf } from '../workloads/registry.js';
import type { LoadedModel, UnitOutcome, WorkloadContext } from '../workloads/types.js';
import { deviceEntry, environmentInfo, toolInfo } from './environment.js';
import { readBaseline } from './outputs.js';
import { ModelStore } from './models.js';
import { planUnits, resolveUnit, type PlannedUnitSpec, type ResolvedUnit } from './plan.js';
import { loadCriteria, loadProduct, loadSuite, suitePathResolver, type Suite } from './suite.js';
import { evaluateFleet } from './targets.js';

export interface RunOptions {
  readonly suite?: string;
  readonly devices?: readonly string[];
  readonly baseline?: string;
  readonly criteria?: string;
  readonly product?: string;
  readonly resume?: string;
  /** The output directory (already created) for a new run. */
  readonly outDir: string;
  readonly argv: readonly string[];
  /** Progress lines (stderr in the CLI). */
  readonly log: (line: string) => void;
  /** Aborting stops the run after journaling what finished (the CLI wires SIGINT and SIGTERM to it; the reason names the signal). */
  readonly signal: AbortSignal;
  /** Given to workloads for their own progress lines (absent: they stay quiet). */
  readonly workloadLog?: (line: string) => void;
  readonly onProgress?: (line: string, last: boolean) => void;
  /** Built-in suite objects by name besides the shipped ones (commands pass their one-unit suite here). */
  readonly suiteObject?: Suite;
  /** A suite file may name paths outside its folder (--allow-outside-paths); refused otherwise. */
  readonly allowOutsidePaths?: boolean;
  /**
   * Runs only the units this returns out of the whole plan (a cluster shard; harness/cluster): the
   * run's plan and journal then hold just those. Called once, while planning, with every planned unit.
   */
  readonly selectUnits?: (units: readonly PlannedUnitSpec[], suite: Suite) => readonly PlannedUnitSpec[];
  /** The device spec this process opens for a planned one (a cluster worker's own device or thread budget); the report keeps the planned spec. */
  readonly deviceSpec?: (planned: string) => string;
}

/** Inputs besides the plan that a resumed run needs, journaled in the first run-start. */
export interface RunInputs {
  readonly suite: Suite;
  readonly baselinePath: string | null;
  readonly criteria: { readonly source: string; readonly sha256: string; readonly criteria: readonly Criterion[] } | null;
  readonly product: ProductInfo | null;
  readonly productPath: string | null;
  readonly unitSpecs: readonly PlannedUnitSpec[];
}

export interface RunResult {
  readonly outDir: string;
  readonly state: JournalState;
  readonly inputs: RunInputs;
  readonly interrupted: boolean;
  /** The unit that was in flight when the run was interrupted. */
  readonly interruptedUnit: string | null;
}

export { JOURNAL_FILE };

class Interrupted extends Error {}

/** SIGINT or SIGTERM before the journal was started: exit as interrupted (130, 143), with nothing to resume. */
export class InterruptedBeforeStart extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** The signal that aborted the run: the abort reason the CLI gives (`controller.abort('SIGTERM')`), else SIGINT. */
function stopSignal(signal: AbortSignal): string {
  return signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
}

export async function runSuite(options: RunOptions): Promise<RunResult> {
  const resuming = options.resume !== undefined;
  // Zoo weights use the zoo's default seed, as everywhere, so one model name is one SHA-256 in the report;
  // the models hashed while planning are the ones the units open.
  const store = new ModelStore();
  const outDir = resuming ? resolve(options.resume!) : resolve(options.outDir);
  const journalPath = join(outDir, JOURNAL_FILE);
  let plan: RunPlan;
  let inputs: RunInputs;
  if (resuming) {
    if (options.suite || options.baseline || options.criteria || options.product) {
      throw new InputError('--resume continues the run exactly as journaled; leave out --suite, --baseline, --criteria and --product');
    }
    checkInputFolder(outDir, '--resume');
    if (!existsSync(journalPath)) throw new InputError(`--resume ${options.resume}: there is no ${JOURNAL_FILE} in that directory`);
    let contents: ReturnType<typeof readJournal>;
    try {
      contents = readJournal(journalPath);
    } catch (err) {
      // Name the flag: the journal is what --resume was pointed at.
      if ((err as { exitCode?: unknown }).exitCode === 2) throw new InputError(`--resume ${options.resume}: ${(err as Error).message}`);
      throw err;
    }
    const first = contents.records.find((r) => r.type === 'run-start') as { plan?: RunPlan; inputs?: RunInputs } | undefined;
    if (!first?.plan || !first.inputs)
      throw new InputError(`--resume ${options.resume}: ${JOURNAL_FILE} has no run-start record, so there is nothing to resume`);
    plan = first.plan;
    inputs = first.inputs;
    for (const d of plan.devices) registerSpecSecrets(d.spec);
    options = { ...options, deviceSpec: credentialsFor(plan, options) };
  } else {
    checkOutputFolder(outDir);
    if (existsSync(journalPath)) {
      throw new InputError(`${outDir} already holds a run (${JOURNAL_FILE}); resume it with --resume ${outDir} or choose another --out`);
    }
    ({ plan, inputs } = await makePlan(options, store));
  }
  if (options.signal.aborted)
    throw new InterruptedBeforeStart(
      `interrupted (${stopSignal(options.signal)}) while planning, before any unit ran; nothing to resume`,
      stopSignal(options.signal) === 'SIGTERM' ? 143 : 130,
    );

  // Made here, level by level, so a folder that cannot be made is exit 3 naming --out (or --resume), not a hang or a crash.
  makeOutputDir(outDir, resuming ? '--resume' : '--out');
  const journal = new Journal(journalPath);
  // A crash mid-write left half a line: opening cut it off, so the next record starts on a line of its own.
  if (journal.repaired) options.log(`dropped a half-written last line (${journal.repaired.bytes} bytes) from ${JOURNAL_FILE}`);
  try {
    write(journal, { type: 'run-start', plan, inputs: resuming ? undefined : inputs, argv: [...options.argv], resume: resuming });
    const before = journalState(readJournal(journalPath).records);
    const models = resuming ? new ModelStore(plan.seeds.weights ?? 0) : store;
    const devices = new Map<string, Device>();
    const available = new Map(plan.devices.map((d) => [d.spec, d]));
    const total = inputs.unitSpecs.length;
    let index = 0;
    for (const unit of inputs.unitSpecs) {
      index += 1;
      if (before.finished.has(unit.id)) continue;
      if (options.signal.aborted) return interrupted(journal, outDir, inputs, null, options);
      const attempt = (before.attempts.get(unit.id) ?? 0) + 1;
      write(journal, { type: 'unit-start', unit: unit.id, attempt });
      options.log(`[${index}/${total}] ${unit.title} …`);
      const startedAt = new Date();
      let outcome: UnitOutcome;
      let error: UnitRecord['error'] = null;
      // Resolved while planning already, so this cannot fail for bad input; the report records these settings.
      const resolved = resolveUnit(unit, plan.seeds.base ?? 1);
      try {
        const limitS = unit.spec.timeoutS ?? inputs.suite.unitTimeoutS ?? null;
        outcome = await untilAborted(
          withTimeout(runUnit(resolved, plan, available, devices, models, journal, outDir, options), limitS),
          options.signal,
        );
      } catch (err) {
        if (err instanceof Interrupted) return interrupted(journal, outDir, inputs, unit.id, options);
        // A full disk (or a file-size limit) ends the run: the units journaled so far stay, --resume reruns this one.
        if (err instanceof OutputWriteError) throw err;
        const code = (err as { exitCode?: unknown }).exitCode;
        const message = oneLine(err instanceof Error ? err.message : String(err));
        if (code === 3) {
          // Something this machine lacks (a test-data package, a device gone away): not run, and the report says why.
          outcome = skipped(`not run here: ${message}`);
        } else {
          error = { message, exitCode: typeof code === 'number' ? code : null };
          outcome = {
            status: 'error',
            validity: { valid: null, checks: [], reasons: [] },
            metrics: {},
            notes: [],
            result: null,
          };
        }
      }
      const finishedAt = new Date();
      const record = toRecord(unit, resolved.params.settings, outcome, error, startedAt, finishedAt, attempt);
      write(journal, { type: 'unit-end', unit: record });
      options.log(
        `[${index}/${total}] ${unit.title}: ${record.status}${record.validity.valid === false ? ' (INVALID)' : ''}${error ? ` — ${error.message}` : ''} (${(record.durationMs / 1000).toFixed(1)} s)`,
      );
    }
    const after = journalState(readJournal(journalPath).records);
    let targets: ReturnType<typeof evaluateFleet>;
    try {
      targets = evaluateFleet(inputs.suite, plan, [...after.finished.values()]);
    } catch (err) {
      // The units' results stand on their own; a target evaluation that fails is reported, not fatal.
      targets = { targets: null, notes: [`targets: not evaluated: ${oneLine((err as Error).message)}`] };
    }
    write(journal, { type: 'targets', targets: targets.targets as Record<string, unknown> | null, notes: targets.notes });
    write(journal, { type: 'run-end' });
  } finally {
    journal.close();
  }
  return { outDir, state: journalState(readJournal(journalPath).records), inputs, interrupted: false, interruptedUnit: null };
}

/**
 * The spec to open for each journaled device on resume. The journal keeps specs with their
 * credentials masked (`endpoint:http://***@host/v1`); --device gives the full spec again, matched to
 * the journaled one it masks to. A masked device with no full spec given is refused: it cannot connect.
 */
function credentialsFor(plan: RunPlan, options: RunOptions): RunOptions['deviceSpec'] {
  const given = new Map((options.devices ?? []).map((spec) => [redactText(spec), spec]));
  const journaled = new Set(plan.devices.map((d) => d.spec));
  for (const masked of given.keys()) {
    if (!journaled.has(masked)) {
      throw new InputError(
        `--resume continues the run exactly as journaled; --device only gives the credentials of a journaled device, and ${masked} is not one`,
      );
    }
  }
  const missing = plan.devices.filter((d) => d.spec.includes(`${MASK}@`) && !given.has(d.spec)).map((d) => d.spec);
  if (missing.length) {
    throw new InputError(
      `the journal keeps device ${missing.join(', ')} without its credentials; resume with --device and the full spec as first given`,
    );
  }
  const previous = options.deviceSpec;
  return (planned) => {
    const spec = given.get(planned) ?? planned;
    return previous ? previous(spec) : spec;
  };
}

/** Appends one of the run's own records, typed by the union the report assembler reads. */
function write(journal: Journal, record: RunRecordInput): void {
  const { type, ...payload } = record;
  journal.append(type, payload);
}

function interrupted(journal: Journal, outDir: string, inputs: RunInputs, unit: string | null, options: RunOptions): RunResult {
  write(journal, { type: 'run-interrupted', unit, signal: stopSignal(options.signal) });
  journal.close();
  options.log(`interrupted${unit ? ` during ${unit} (it will run again)` : ''}`);
  return { outDir, state: journalState(readJournal(join(outDir, JOURNAL_FILE)).records), inputs, interrupted: true, interruptedUnit: unit };
}

/** Rejects when the unit runs past its limit. Its work cannot be cancelled from here: it is abandoned and the report says so. */
function withTimeout<T>(promise: Promise<T>, limitS: number | null): Promise<T> {
  if (limitS === null) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the unit did not finish within its ${limitS} s limit (timeoutS); its work was abandoned, not stopped`)),
      limitS * 1000,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves with the promise, or rejects with Interrupted as soon as the signal aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Interrupted('interrupted'));
  return new Promise<T>((resolvePromise, reject) => {
    const onAbort = () => reject(new Interrupted('interrupted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolvePromise(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

async function runUnit(
  unit: ResolvedUnit,
  plan: RunPlan,
  available: ReadonlyMap<string, DeviceEntry>,
  devices: Map<string, Device>,
  models: ModelStore,
  journal: Journal,
  outDir: string,
  options: RunOptions,
): Promise<UnitOutcome> {
  const needs = unit.w.needs(unit.params);
  for (const spec of [unit.device, ...needs.devices]) {
    const entry = spec ? available.get(spec) : undefined;
    if (spec && entry && !entry.available) return skipped(`device ${spec} is unavailable here: ${entry.reason ?? 'probe failed'}`);
  }
  // Each device is created once per run and shared by the units that name it.
  const deviceFor = (spec: string): Device => {
    let d = devices.get(spec);
    if (!d) {
      d = createDevice(options.deviceSpec?.(spec) ?? spec);
      devices.set(spec, d);
    }
    return d;
  };
  const device = unit.device ? deviceFor(unit.device) : null;
  if (device && !device.capabilities.tensors && !unit.w.runsOnServedModels) {
    return skipped(
      `${unit.device} is a serving endpoint: it runs its own model and generates text, so only ${allWorkloads()
        .filter((w) => w.runsOnServedModels)
        .map((w) => w.kind)
        .join(', ')} units run on it`,
    );
  }
  // A serving endpoint runs its own model: nothing of ours is built for it.
  const loaded = new Map<string, LoadedModel>(
    device && !device.capabilities.tensors ? [] : needs.models.map((m) => [m.name, models.load(m).model]),
  );
  const others = new Map(needs.devices.map((spec) => [spec, deviceFor(spec)]));
  const ctx: WorkloadContext = {
    unitId: unit.id,
    device,
    otherDevice: (spec) => {
      const d = others.get(spec);
      if (!d) throw new Error(`unit ${unit.id} asked for device ${spec}, which its needs() did not name`);
      return d;
    },
    model: (name) => {
      const m = loaded.get(name);
      if (!m) throw new Error(`unit ${unit.id} asked for model ${name}, which its needs() did not name`);
      return m;
    },
    seed: plan.seeds.base ?? 0,
    journal,
    outDir,
    signal: options.signal,
    log: options.workloadLog,
    onProgress: options.onProgress,
  };
  return unit.w.run(unit.params, ctx);
}

function skipped(why: string): UnitOutcome {
  return {
    status: 'skipped',
    validity: { valid: null, checks: [], reasons: [] },
    metrics: {},
    notes: [why],
    result: null,
  };
}

/** Makes the outcome JSON-safe and schema-shaped: unknown metric names and non-finite numbers are reported, not kept. */
function toRecord(
  unit: PlannedUnitSpec,
  settings: Readonly<Record<string, unknown>>,
  o: UnitOutcome,
  error: UnitRecord['error'],
  startedAt: Date,
  finishedAt: Date,
  attempt: number,
): UnitRecord {
  const notes = [...o.notes];
  const metrics: Record<string, number | null> = {};
  for (const [name, value] of Object.entries(o.metrics)) {
    if (!isMetricName(name)) {
      notes.push(`metric "${name}" is not in the registry (reports/metrics.ts) and was left out`);
      continue;
    }
    metrics[name] = typeof value === 'number' && Number.isFinite(value) ? value : null;
  }
  const w = workloadOf(unit.kind);
  const headline = typeof w.headline === 'function' ? w.headline(o) : w.headline;
  const record: UnitRecord = {
    id: unit.id,
    workload: unit.workload,
    kind: unit.kind,
    title: unit.title,
    device: unit.device,
    model: unit.model,
    headline: headline.filter((n) => n in metrics),
    settings: jsonSafe(settings) as Record<string, unknown>,
    status: o.status,
    validity: {
      valid: o.validity.valid,
      checks: o.validity.checks.map((c) => ({ name: c.name, passed: c.passed, detail: c.detail })),
      reasons: [...o.validity.reasons],
    },
    metrics,
    notes,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    attempts: attempt,
    result: o.result ? (jsonSafe(o.result) as UnitRecord['result']) : null,
    error,
    artifacts: [...(o.artifacts ?? [])],
  };
  // The workload's own text of its result (statistics tables, replica lines), for report.md/html.
  const details = record.result && w.render ? w.render(record).flatMap((l) => l.split('\n')) : [];
  return details.length ? { ...record, details } : record;
}

/** Round-trips through JSON (NaN/Infinity → null, typed arrays → plain arrays, bigint → number). */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return Number(v);
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      return v;
    }) ?? 'null',
  );
}

function oneLine(message: string): string {
  const line =
    message
      .split('\n')
      .map((l) => l.trim())
      .find(Boolean) ?? message;
  return line.length > 500 ? line.slice(0, 497) + '...' : line;
}

/** The units a suite expands to here (devices probed, nothing run, no journal): `npuval run --list`. */
export async function listUnits(
  options: Pick<RunOptions, 'suite' | 'devices' | 'log' | 'suiteObject' | 'allowOutsidePaths'>,
): Promise<{ suite: string; available: string[] | null; units: PlannedUnitSpec[] }> {
  const { loaded, availableSpecs, usesAvailable, unitSpecs } = await resolveUnits(options);
  return { suite: loaded.suite.name, available: usesAvailable ? availableSpecs : null, units: unitSpecs };
}

async function resolveUnits(options: Pick<RunOptions, 'suite' | 'devices' | 'log' | 'suiteObject' | 'allowOutsidePaths'>) {
  const loaded = options.suiteObject
    ? { suite: options.suiteObject, source: 'builtin' as const, path: null, sha256: sha256Hex(JSON.stringify(options.suiteObject)) }
    : loadSuite(options.suite ?? 'default');
  const suite = loaded.suite;
  const override = options.devices?.length ? options.devices : null;
  const usesAvailable = !override && (suite.devices === 'available' || suite.units.some((u) => u.devices === 'available'));
  // Malformed or unknown device specs are bad input; say what is available.
  // A suite's own lists too: a device that is merely unavailable here is skipped, a malformed spec is not.
  const named = override ?? [suite.devices, ...suite.units.map((u) => u.devices)].flatMap((d) => (Array.isArray(d) ? d : []));
  const references = suite.units.flatMap((u) => (u.reference ? [u.reference] : []));
  // Credentials in a spec (a URL's userinfo, the variable apiKeyEnv names) are masked in everything recorded from here on.
  for (const spec of [...named, ...references]) registerSpecSecrets(spec);
  await checkSpecs([...new Set([...named, ...references])]);
  const candidates = usesAvailable ? await probeAll() : [];
  const availableSpecs = candidates.filter((a) => a.available).map((a) => a.id);
  options.log(usesAvailable ? `devices available here: ${availableSpecs.join(', ') || 'none'}` : '');
  const suitePath = suitePathResolver(loaded, options.allowOutsidePaths);
  const unitSpecs = planUnits(suite, availableSpecs, override, suitePath);
  // The suite's own files are resolved (and confined) here too, so `--list` refuses what the run would.
  const suiteFiles = {
    baseline: suite.baseline ? suitePath(suite.baseline, 'baseline') : null,
    criteria: typeof suite.criteria === 'string' ? suitePath(suite.criteria, 'criteria') : null,
  };
  // Every unit's settings are checked while planning (exit 2): a typo stops the run before it starts.
  const resolved = unitSpecs.map((u) => resolveUnit(u, suite.seed ?? 1));
  // Devices a unit needs besides its own (an accuracy reference, a compare device) are checked like the others.
  const extra = resolved.flatMap((u) => u.w.needs(u.params).devices).filter((d) => !named.includes(d) && !references.includes(d));
  for (const spec of extra) registerSpecSecrets(spec);
  if (extra.length) await checkSpecs([...new Set(extra)]);
  if (unitSpecs.length === 0) throw new EnvironmentError(`suite ${suite.name} has no unit to run: no device it names is available here`);
  return { loaded, suite, override, usesAvailable, candidates, availableSpecs, unitSpecs, resolved, suiteFiles };
}

async function makePlan(options: RunOptions, models: ModelStore): Promise<{ plan: RunPlan; inputs: RunInputs }> {
  const all = await resolveUnits(options);
  const { loaded, suite, override, usesAvailable, candidates, suiteFiles } = all;
  const chosen = options.selectUnits ? new Set(options.selectUnits(all.unitSpecs, suite).map((u) => u.id)) : null;
  const unitSpecs = chosen ? all.unitSpecs.filter((u) => chosen.has(u.id)) : all.unitSpecs;
  const resolved = chosen ? all.resolved.filter((u) => chosen.has(u.id)) : all.resolved;

  const specs = [...new Set(resolved.flatMap((u) => [u.device, ...u.w.needs(u.params).devices]).filter((d): d is string => d !== null))];
  const byId = new Map(candidates.map((a) => [a.id, a]));
  const devices: DeviceEntry[] = [];
  for (const spec of specs) devices.push(deviceEntry(byId.get(spec) ?? (await probe(spec))));
  // A device the user named on the command line (or a command's own suite) must be there: exit 3 before anything is written.
  const missing = devices.filter((d) => !d.available && (override?.includes(d.spec) || options.suiteObject !== undefined));
  if (missing.length) throw new EnvironmentError(missing.map((d) => `device ${d.spec} is unavailable: ${d.reason}`).join('; '));

  const seed = suite.seed ?? 1;
  const notes: string[] = [];
  // What each unit's needs() names is built and hashed now, once; units on a serving endpoint open nothing of ours.
  // One device object per spec answers whether it runs tensors (endpoints do not).
  const runsTensors = new Map<string, boolean>();
  const tensors = (spec: string | null) => {
    if (spec === null) return true;
    if (!runsTensors.has(spec)) runsTensors.set(spec, createDevice(spec).capabilities.tensors);
    return runsTensors.get(spec)!;
  };
  for (const u of resolved) {
    if (!tensors(u.device)) continue;
    for (const m of u.w.needs(u.params).models) {
      try {
        models.load(m);
      } catch (err) {
        // Name the unit: a suite may name many models.
        if ((err as { exitCode?: unknown }).exitCode === 2) throw new InputError(`unit ${u.id}: ${(err as Error).message}`);
        throw err;
      }
    }
  }

  const baselinePath = options.baseline ?? suiteFiles.baseline;
  let baseline: RunPlan['baseline'] = null;
  if (baselinePath) {
    checkInputFile(baselinePath, 'baseline report');
    // Checked before anything runs: a wrong file found only when the reports are written would
    // cost the whole suite's time and silently drop the comparison.
    const problems: string[] = [];
    readBaseline(baselinePath, problems);
    if (problems.length) throw new InputError(problems[0]!.replace(/; no comparison$/, ''));
    baseline = { path: resolve(baselinePath), sha256: sha256Hex(readFileSync(baselinePath)) };
  }
  let criteria: RunInputs['criteria'] = null;
  const criteriaPath = options.criteria ?? suiteFiles.criteria;
  if (criteriaPath) {
    const c = loadCriteria(criteriaPath);
    criteria = { source: resolve(criteriaPath), sha256: c.sha256, criteria: c.criteria };
  } else if (Array.isArray(suite.criteria)) {
    criteria = { source: `suite ${suite.name}`, sha256: sha256Hex(JSON.stringify(suite.criteria)), criteria: suite.criteria };
  }
  const product = options.product ? loadProduct(options.product) : (suite.product ?? null);
  const suiteDevices = [...new Set(all.resolved.map((u) => u.device).filter((d): d is string => d !== null))];
  if (product && !suiteDevices.includes(product.device)) {
    throw new InputError(
      `${options.product ?? `suite ${suite.name}: product`}: device "${product.device}" is not a device of this run (${suiteDevices.join(', ')}); set it to the spec of the product in the run`,
    );
  }
  for (const [i, f] of (suite.fleet ?? []).entries()) {
    try {
      catalogEntry(f.device);
    } catch (err) {
      throw new InputError(`suite ${suite.name}: fleet/${i}/device: ${(err as Error).message}`);
    }
  }

  if (usesAvailable)
    notes.push(
      `devices probed here: ${candidates.map((a) => `${a.id} ${a.available ? 'available' : `unavailable (${a.reason})`}`).join('; ')}`,
    );
  const plan: RunPlan = {
    tool: toolInfo(),
    command: { argv: ['npuval', ...options.argv], cwd: process.cwd() },
    suite: { name: suite.name, source: loaded.source, path: loaded.path, sha256: loaded.sha256, description: suite.description ?? '' },
    seeds: { base: seed, weights: DEFAULT_SEED },
    environment: environmentInfo(devices),
    devices,
    models: models.entries(),
    units: unitSpecs.map((u) => ({ id: u.id, kind: u.kind, title: u.title, device: u.device, model: u.model })),
    baseline,
    notes,
  };
  return {
    plan,
    inputs: {
      suite,
      baselinePath: baseline?.path ?? null,
      criteria,
      product,
      productPath: options.product ? resolve(options.product) : null,
      unitSpecs,
    },
  };
}

export { Interrupted };

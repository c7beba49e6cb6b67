// `npuval cluster merge DIR`: one report from the shards of a clustered run. Every shard of the
// plan must be present exactly once and all must come from the same plan (same digest); then the
// shards' journals are read back, each unit keeps where it ran (shard, worker, node, device), and
// report.json (schema-checked), report.md, report.html, junit.xml and results.csv are written to DIR.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { assembleReport, journalState, type JournalState, type RunPlan } from '../../reports/assemble.js';
import { fileArtifact } from '../../reports/digest.js';
import { renderCsv } from '../../reports/render/csv.js';
import { renderHtml } from '../../reports/render/html.js';
import { renderJunit } from '../../reports/render/junit.js';
import { renderMarkdown } from '../../reports/render/markdown.js';
import type { Artifact, ClusterInfo, DeviceEntry, ModelEntry, RunReport, RunSession, UnitRecord } from '../../reports/types.js';
import { validate } from '../../reports/validate.js';
import { InputError } from '../errors.js';
import { JOURNAL_FILE, readJournal } from '../journal.js';
import type { RunInputs } from '../run/orchestrate.js';
import { evaluateFleet } from '../run/targets.js';
import { writeOutputFile } from '../durable.js';
import { readManifest, SHARD_FILE, SHARDS_DIR, type Launcher, type ShardManifest } from './shard.js';

/** Written by the launcher in the cluster's out dir: how the shards were started. */
export const CLUSTER_FILE = 'cluster.json';

export interface ClusterFile {
  readonly launcher: Launcher;
  readonly shards: number;
  readonly runArgs: readonly string[];
  readonly job?: string;
}

export interface Merged {
  readonly report: RunReport;
  readonly files: readonly string[];
  /** Shards whose journals do not hold all their units (merged anyway; the report is incomplete). */
  readonly incomplete: readonly number[];
}

interface Shard {
  readonly dir: string;
  readonly name: string;
  readonly manifest: ShardManifest;
}

export function readClusterFile(dir: string): ClusterFile | null {
  const path = join(dir, CLUSTER_FILE);
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ClusterFile;
  } catch (err) {
    throw new InputError(`${path} is not JSON: ${(err as Error).message}`);
  }
}

/** The shards under DIR/shards, checked: one plan, every shard exactly once. Each failure is one sentence (exit 2). */
export function checkShards(dir: string): { shards: Shard[]; cluster: ClusterFile | null } {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new InputError(`${dir} is not a folder`);
  const root = join(dir, SHARDS_DIR);
  if (!existsSync(root)) throw new InputError(`${dir} has no ${SHARDS_DIR}/ folder, so it holds no shards of an npuval cluster run`);
  const cluster = readClusterFile(dir);
  const found: Shard[] = [];
  for (const name of readdirSync(root).sort()) {
    const sub = join(root, name);
    if (!statSync(sub).isDirectory()) continue;
    const manifest = readManifest(sub);
    if (manifest) found.push({ dir: sub, name: `${SHARDS_DIR}/${name}`, manifest });
  }
  if (found.length === 0) throw new InputError(`${root} holds no shard (no */${SHARD_FILE}); did the workers start?`);
  found.sort((a, b) => a.manifest.shard - b.manifest.shard || a.name.localeCompare(b.name));
  const reference = found[0]!;
  for (const s of found) {
    if (s.manifest.planDigest !== reference.manifest.planDigest) {
      throw new InputError(
        `${s.name} (shard ${s.manifest.shard}) comes from another plan (digest ${s.manifest.planDigest.slice(0, 12)}…, but ${reference.name} has ${reference.manifest.planDigest.slice(0, 12)}…); merge only the shards of one run`,
      );
    }
  }
  const n = cluster?.shards ?? reference.manifest.shards;
  for (const s of found) {
    if (s.manifest.shards !== n)
      throw new InputError(
        `${s.name} is shard ${s.manifest.shard} of ${s.manifest.shards}, but the run has ${n} shards; merge only the shards of one run`,
      );
  }
  const byIndex = new Map<number, Shard[]>();
  for (const s of found) byIndex.set(s.manifest.shard, [...(byIndex.get(s.manifest.shard) ?? []), s]);
  for (const [k, list] of byIndex) {
    if (list.length > 1)
      throw new InputError(
        `shard ${k} is present ${list.length} times (${list.map((s) => s.name).join(', ')}); each shard must be merged exactly once`,
      );
  }
  const missing = Array.from({ length: n }, (_, k) => k).filter((k) => !byIndex.has(k));
  if (missing.length) {
    throw new InputError(
      `shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${n} ${missing.length > 1 ? 'are' : 'is'} missing from ${root}; run ${missing.length > 1 ? 'their workers' : 'its worker'} (npuval cluster worker --shard K --shards ${n} with the same run arguments) before merging`,
    );
  }
  return { shards: found, cluster };
}

function unionBy<T>(lists: readonly (readonly T[])[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const list of lists) for (const t of list) if (!seen.has(key(t))) seen.set(key(t), t);
  return [...seen.values()];
}

/** A unit artifact's path, made relative to the merged folder. */
function rebase(a: Artifact, shardName: string): Artifact {
  return isAbsolute(a.path) ? a : { ...a, path: `${shardName}/${a.path}` };
}

export async function mergeShards(dir: string, now = new Date()): Promise<Merged> {
  const { shards, cluster } = checkShards(dir);
  const states: { shard: Shard; state: JournalState; inputs: RunInputs | null }[] = [];
  for (const shard of shards) {
    const path = join(shard.dir, JOURNAL_FILE);
    if (!existsSync(path)) throw new InputError(`${shard.name} has no ${JOURNAL_FILE}: its worker planned but never started; run it again`);
    const { records } = readJournal(path);
    const first = records.find((r) => r.type === 'run-start') as { inputs?: RunInputs } | undefined;
    states.push({ shard, state: journalState(records), inputs: first?.inputs ?? null });
  }
  const ref = states[0]!;
  const planOrder = ref.shard.manifest.plan;
  const finished = new Map<string, UnitRecord>();
  const attempts = new Map<string, number>();
  const incomplete: number[] = [];
  for (const { shard, state } of states) {
    const m = shard.manifest;
    for (const id of m.units) {
      const u = state.finished.get(id);
      if (!u) continue;
      const device = u.device === null ? null : (m.devices[u.device] ?? u.device);
      finished.set(id, {
        ...u,
        artifacts: u.artifacts.map((a) => rebase(a, shard.name)),
        placement: { shard: m.shard, worker: m.worker, node: m.node, device },
      });
      attempts.set(id, state.attempts.get(id) ?? 1);
    }
    if (m.units.some((id) => !state.finished.has(id))) incomplete.push(m.shard);
  }
  const plans = states.map((s) => s.state.plan);
  const notes = [
    ...unionBy(
      plans.map((p) => p.notes),
      (n) => n,
    ),
    `merged from ${states.length} shards of plan ${ref.shard.manifest.planDigest}; hosts: ${[...new Set(states.map((s) => s.shard.manifest.node))].join(', ')} (environment: ${ref.shard.name}'s)`,
  ];
  const plan: RunPlan = {
    ...ref.state.plan,
    devices: unionBy<DeviceEntry>(
      plans.map((p) => p.devices),
      (d) => d.spec,
    ),
    models: unionBy<ModelEntry>(
      plans.map((p) => p.models),
      (m) => `${m.name} ${m.sha256}`,
    ),
    units: planOrder,
    notes,
  };
  const sessions: RunSession[] = states.flatMap((s) => s.state.sessions).sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  let targets: JournalState['targets'] = null;
  const suite = ref.inputs?.suite;
  if (suite) {
    try {
      const t = evaluateFleet(suite, plan, [...finished.values()]);
      targets = { targets: t.targets as Record<string, unknown> | null, notes: t.notes };
    } catch (err) {
      targets = { targets: null, notes: [`targets: not evaluated: ${(err as Error).message.split('\n')[0]}`] };
    }
  }
  const state: JournalState = {
    plan,
    finished,
    attempts,
    sessions: sessions.map((s) => ({ ...s })) as JournalState['sessions'],
    targets,
  };
  const artifacts: Artifact[] = [
    ...states.map((s) => fileArtifact(`${s.shard.name}/${JOURNAL_FILE}`, 'journal', join(s.shard.dir, JOURNAL_FILE))),
    ...[...finished.values()].flatMap((u) => u.artifacts),
  ];
  const info: ClusterInfo = {
    launcher: cluster?.launcher ?? ref.shard.manifest.launcher,
    planDigest: ref.shard.manifest.planDigest,
    shards: ref.shard.manifest.shards,
    workers: states.map((s) => ({
      shard: s.shard.manifest.shard,
      worker: s.shard.manifest.worker,
      node: s.shard.manifest.node,
      units: [...s.shard.manifest.units],
      journal: `${s.shard.name}/${JOURNAL_FILE}`,
    })),
  };
  const report: RunReport = { ...assembleReport(state, { finishedAt: now.toISOString(), artifacts }), cluster: info };
  const problems = validate('run-report', report);
  if (problems.length) {
    writeOutputFile(join(dir, 'report.invalid.json'), JSON.stringify(report, null, 2) + '\n');
    throw new Error(`the merged report does not match its schema (a bug in npuval; kept as report.invalid.json):\n${problems.join('\n')}`);
  }
  writeOutputFile(join(dir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeOutputFile(join(dir, 'report.md'), renderMarkdown(report, null) + '\n' + clusterMarkdown(report));
  writeOutputFile(join(dir, 'report.html'), await renderHtml(report, { comparison: null, commercialization: null }));
  writeOutputFile(join(dir, 'junit.xml'), renderJunit(report));
  writeOutputFile(join(dir, 'results.csv'), renderCsv(report));
  const files = ['report.json', 'report.md', 'report.html', 'junit.xml', 'results.csv'].map((f) => join(dir, f));
  return { report, files, incomplete };
}

/** The report.md section on where each unit ran. */
export function clusterMarkdown(report: RunReport): string {
  const c = report.cluster;
  if (!c) return '';
  const lines = [
    '## Cluster',
    '',
    `Launcher \`${c.launcher}\`, ${c.shards} shard(s) of plan \`${c.planDigest}\`.`,
    '',
    '| unit | status | shard | worker | node | device opened |',
    '|---|---|---|---|---|---|',
    ...report.units.map(
      (u) =>
        `| ${u.id} | ${u.status} | ${u.placement?.shard ?? '—'} | ${u.placement?.worker ?? '—'} | ${u.placement?.node ?? '—'} | ${u.placement?.device ?? '—'} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

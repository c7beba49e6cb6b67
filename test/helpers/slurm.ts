// Test helper: a real one-node Slurm on this machine (Debian `slurm-wlm` + `munge`), started once
// and left running for later tests. As the project's environment notes say: a munge key, `munged` as
// user munge, a slurm.conf with one node and one partition (SlurmUser=root, proctrack/linuxproc,
// task/none, select/cons_tres), then `slurmctld -i; slurmd`. Needs root. Nothing in product code
// imports this.
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, hostname } from 'node:os';
import type { SystemDep } from './system.js';

export const SLURM_CONF = '/etc/slurm/slurm.conf';
const MUNGE_KEY = '/etc/munge/munge.key';
const BINARIES = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/srun', '/usr/bin/sbatch', '/usr/bin/scontrol'];
const INSTALL = 'apt-get install -y slurm-wlm munge (as root); the test starts munged, slurmctld and slurmd itself';

function sh(cmd: string, args: string[], timeout = 30_000): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function until(check: () => boolean, ms: number): boolean {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    sleep(250);
  }
  return check();
}

/** The node name Slurm uses for this host (slurmd registers by its short hostname). */
export function slurmNodeName(): string {
  return hostname().split('.')[0]!;
}

function slurmConf(node: string, cpuCount: number): string {
  return [
    '# Written by npuval test/helpers/slurm.ts: a one-node cluster for the tests.',
    'ClusterName=npuval',
    `SlurmctldHost=${node}`,
    'SlurmUser=root',
    'AuthType=auth/munge',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_CPU',
    'SchedulerType=sched/builtin',
    'MpiDefault=none',
    'ReturnToService=2',
    'JobAcctGatherType=jobacct_gather/none',
    'AccountingStorageType=accounting_storage/none',
    'JobCompType=jobcomp/none',
    'StateSaveLocation=/var/spool/slurmctld',
    'SlurmdSpoolDir=/var/spool/slurmd',
    'SlurmctldPidFile=/run/slurmctld.pid',
    'SlurmdPidFile=/run/slurmd.pid',
    'SlurmctldLogFile=/var/log/slurm/slurmctld.log',
    'SlurmdLogFile=/var/log/slurm/slurmd.log',
    `NodeName=${node} CPUs=${cpuCount} State=UNKNOWN`,
    'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
    '',
  ].join('\n');
}

/** True when `srun -n 2 true` works right now. */
function srunWorks(): boolean {
  return sh('srun', ['-n', '2', '--time=1', 'true'], 30_000).ok;
}

let started: { ok: true } | { ok: false; reason: string } | null = null;

/**
 * Starts the one-node Slurm (idempotent: a running one is reused). Returns why not when it
 * cannot: Slurm or munge missing, not root, or a daemon that did not come up (with its log's tail).
 */
export function startSlurm(): { ok: true } | { ok: false; reason: string } {
  if (started) return started;
  started = start();
  return started;
}

function start(): { ok: true } | { ok: false; reason: string } {
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length) return { ok: false, reason: `${missing.join(', ')} missing: ${INSTALL}` };
  if (sh('sinfo', ['-h']).ok && srunWorks()) return { ok: true };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'starting munged, slurmctld and slurmd needs root' };
  const node = slurmNodeName();
  // munge: a key readable by munge only, its run folder, and munged as user munge.
  if (!existsSync(MUNGE_KEY)) writeFileSync(MUNGE_KEY, randomBytes(1024));
  const munge = Number(sh('id', ['-u', 'munge']).out);
  const mungeGroup = Number(sh('id', ['-g', 'munge']).out);
  chownSync(MUNGE_KEY, munge, mungeGroup);
  chmodSync(MUNGE_KEY, 0o400);
  for (const dir of ['/run/munge', '/var/log/munge', '/var/lib/munge']) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, munge, mungeGroup);
  }
  if (!sh('munge', ['-n']).ok) {
    const r = sh('runuser', ['-u', 'munge', '--', '/usr/sbin/munged']);
    if (!r.ok && !until(() => sh('munge', ['-n']).ok, 5000)) return { ok: false, reason: `munged did not start: ${r.out}` };
  }
  for (const dir of ['/var/spool/slurmctld', '/var/spool/slurmd', '/var/log/slurm']) mkdirSync(dir, { recursive: true });
  const conf = slurmConf(node, Math.max(1, Math.min(2, cpus().length)));
  if (!existsSync(SLURM_CONF) || readFileSync(SLURM_CONF, 'utf8') !== conf) writeFileSync(SLURM_CONF, conf);
  if (!sh('scontrol', ['ping']).out.includes('UP')) {
    const r = sh('/usr/sbin/slurmctld', ['-i']);
    if (!r.ok) return { ok: false, reason: `slurmctld did not start: ${r.out}` };
  }
  if (!until(() => sh('scontrol', ['ping']).out.includes('UP'), 15_000))
    return { ok: false, reason: `slurmctld is not answering: ${tail('/var/log/slurm/slurmctld.log')}` };
  if (!sh('pgrep', ['-x', 'slurmd']).ok) {
    const r = sh('/usr/sbin/slurmd', []);
    if (!r.ok) return { ok: false, reason: `slurmd did not start: ${r.out}` };
  }
  // A node that was down from an earlier start comes back with ReturnToService=2; make sure.
  until(() => /State=(IDLE|MIXED|ALLOCATED)/.test(sh('scontrol', ['show', 'node', node]).out), 15_000);
  sh('scontrol', ['update', `NodeName=${node}`, 'State=RESUME']);
  if (!until(srunWorks, 20_000)) return { ok: false, reason: `srun -n 2 true does not run: ${tail('/var/log/slurm/slurmd.log')}` };
  return { ok: true };
}

function tail(path: string): string {
  return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ') : `(no ${path})`;
}

/** The system dependency for systemTest: present when a one-node Slurm runs here (started if need be). */
export const slurmDep: SystemDep = {
  name: 'Slurm (slurm-wlm + munge, one node)',
  present: () => startSlurm().ok,
  install: INSTALL,
};

/** Why Slurm is not usable here (for a skip message), or null. */
export function slurmProblem(): string | null {
  const s = startSlurm();
  return s.ok ? null : s.reason;
}

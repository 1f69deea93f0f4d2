/**
 * Benchmarks (figures, not pass/fail). Medians, and ratios against a baseline measured in the same run.
 *
 *   tsx scripts/bench.ts engine [runs=7]   shared per-run snapshot vs one snapshot per check (the baseline)
 *   tsx scripts/bench.ts cluster [runs=5]  warm `cluster:up` (down, up) and the running control plane's memory
 *
 * Needs the local control plane (`npm run cluster:up`); `engine` seeds namespace bench-engine.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { CHECKS, CONFIG_SCHEMA } from '../checks';
import { loadConfig } from '../lib/config';
import { KubeAccess, KubeClient } from '../lib/k8s/client';
import { runChecks, runOneCheck } from '../lib/engine/runner';
import { Snapshot } from '../lib/engine/snapshot';
import { FILES, testPort, serviceOverrides } from '../test/cluster/paths';
import { seedScenario } from '../test/cluster/seed';
import { down, up } from '../test/cluster/cluster';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (n: number) => `${n.toFixed(0)} ms`;

/** Counts API requests made through a client. */
function counting(client: KubeClient): { client: KubeClient; count: () => number } {
  let n = 0;
  const orig = client.request.bind(client);
  client.request = ((...args: Parameters<KubeClient['request']>) => {
    n++;
    return orig(...args);
  }) as KubeClient['request'];
  return { client, count: () => n };
}

async function engine(runs: number) {
  const ns = 'bench-engine';
  const port = testPort(70);
  await seedScenario({ scenario: 'broken', namespace: ns, gatewayPort: port, log: () => undefined });
  const config = loadConfig(CONFIG_SCHEMA, { namespace: ns, serviceUrlOverrides: serviceOverrides(port) }, {});
  const access = new KubeAccess({ kubeconfig: FILES.adminKubeconfig });
  const shared: number[] = [];
  const perCheck: number[] = [];
  let sharedCalls = 0;
  let perCheckCalls = 0;
  for (let i = 0; i < runs; i++) {
    const a = counting(access.app());
    let t = performance.now();
    await runChecks({ client: a.client, config, registry: CHECKS });
    shared.push(performance.now() - t);
    sharedCalls = a.count();
    // Baseline: each check loads its own snapshot (what a registry without a shared snapshot does).
    const b = counting(access.app());
    t = performance.now();
    await Promise.all(
      CHECKS.map(async (c) => runOneCheck(c, await Snapshot.load(b.client, ns, c.needs), { client: b.client, config })),
    );
    perCheck.push(performance.now() - t);
    perCheckCalls = b.count();
  }
  console.log(`engine: full run of ${CHECKS.length} checks on a seeded broken namespace, ${runs} runs each`);
  console.log(`  shared snapshot     median ${ms(median(shared))}  (${sharedCalls} API requests per run)`);
  console.log(
    `  per-check snapshot  median ${ms(median(perCheck))}  (${perCheckCalls} API requests per run)  [baseline]`,
  );
  console.log(
    `  ratio shared/baseline: time ${(median(shared) / median(perCheck)).toFixed(2)}, API requests ${(sharedCalls / perCheckCalls).toFixed(2)}`,
  );
  console.log('  (both include the PVC probe pod, which dominates wall time)');
}

function rssKb(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const ppid = Number(fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      if (ppid === pid) out.push(Number(d), ...descendants(Number(d)));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function cluster(runs: number) {
  const times: number[] = [];
  const buildCheck: number[] = [];
  for (let i = 0; i < runs; i++) {
    await down();
    let t = performance.now();
    execFileSync('bash', ['test/cluster/build.sh'], { stdio: 'ignore' }); // the cache lookup alone [baseline]
    buildCheck.push(performance.now() - t);
    t = performance.now();
    await up();
    times.push(performance.now() - t);
  }
  console.log(`cluster: warm cluster:up (binaries cached, empty etcd), ${runs} runs`);
  console.log(
    `  cluster:up           median ${ms(median(times))}  (min ${ms(Math.min(...times))}, max ${ms(Math.max(...times))})`,
  );
  console.log(
    `  binary cache lookup  median ${ms(median(buildCheck))}  [baseline: ratio ${(median(times) / median(buildCheck)).toFixed(1)}x]`,
  );
  let total = 0;
  for (const f of fs.readdirSync(FILES.pids)) {
    const pid = Number(fs.readFileSync(path.join(FILES.pids, f), 'utf8'));
    const kb = [pid, ...descendants(pid)].reduce((s, p) => s + rssKb(p), 0);
    total += kb;
    console.log(`  ${f.replace('.pid', '').padEnd(24)} RSS ${(kb / 1024).toFixed(0)} MiB`);
  }
  console.log(`  control plane total  RSS ${(total / 1024).toFixed(0)} MiB (idle, no namespace seeded)`);
}

const [what = 'engine', n] = process.argv.slice(2);
(what === 'cluster' ? cluster(Number(n ?? 5)) : engine(Number(n ?? 7))).catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});

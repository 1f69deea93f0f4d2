/**
 * npm run bench: Flywheel Doctor against the kubectl commands it replaces, whole process, on the
 * local control plane (started if needed). Prints every figure with its baseline (medians of
 * BENCH_RUNS, default 7, paired runs) and writes them to bench/RESULTS.md. Figures, not pass/fail.
 *
 *   1. the guide's kubectl commands vs `flywheel-doctor run`, with and without the PVC probe; `list`
 *   2. the same at 0 ms and 25 ms added latency per API request (bench/latency-proxy.ts)
 *   3. API requests per run, against the lists and calls the checks need
 *   4. scale: 100 / 500 / 2,000 / 10,000 pods: engine time and memory
 *   5. the PVC probe: pod create to verdict, and what dominates it
 *   6. fix latency: evaluator-entity-store-url apply -> verified pass, minus the rollout itself
 *   7. the server: 50 concurrent "Run all", latency percentiles, memory idle and after 200 runs
 *   8. the whole registry vs bench/baseline-registry.sh at 0 and 25 ms, with and without the probe pod
 *   9. the API requests of a run the watch triggers (fed from its store) vs a requested run
 *  10. first-load JS per route of the production build
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHECKS } from '../checks';
import { probeCommand } from '../checks/models-pvc-ownership';
import { createDoctor } from '../lib/engine/factory';
import { KubeAccess, type KubeClient } from '../lib/k8s/client';
import type { KObject } from '../lib/k8s/object';
import { RESOURCES } from '../lib/k8s/resources';
import { rolloutState, waitForObject } from '../lib/k8s/wait';
import { up } from '../test/cluster/cluster';
import {
  binDir,
  CLUSTER_DIR,
  FILES,
  PORTS,
  REPO_ROOT,
  testPort,
  serviceOverrides,
  serviceOverridesEnv,
} from '../test/cluster/paths';
import { seedScenario } from '../test/cluster/seed';
import { startLatencyProxy } from './latency-proxy';
import { byRequestPath, f0, f2, median, pct, podClock, row, sequence, timed, type Sample } from './measure';
import { firstLoadPerRoute, watchTriggeredRun, wholeRegistry } from './registry';
import { startServer } from './server';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
/** BENCH_ONLY=1,7 runs some sections (1 stands for 1–3) and prints them without writing RESULTS.md. */
const ONLY = process.env.BENCH_ONLY?.split(',').map((x) => x.trim());
const want = (section: number) => !ONLY || ONLY.includes(String(section));
const NS = 'bench';
const GATEWAY_PORT = testPort(80);
const PVC_CHECK = 'models-pvc-ownership';
/** The troubleshooting guide's five checks: the facts the kubectl baseline establishes. */
const GUIDE_CHECKS = [
  'evaluator-entity-store-url',
  'evaluator-secrets-delete',
  PVC_CHECK,
  'gateway-models',
  'pod-health',
];
const out: string[] = [];
const say = (line = '') => {
  console.log(line);
  out.push(line);
};
async function main() {
  say(`# Flywheel Doctor benchmarks`);
  say();
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  say(
    `${new Date().toISOString()} · ${os.cpus().length} × ${cpu} · ${f0(os.totalmem() / 2 ** 30)} GiB · Node ${process.version} · medians of ${RUNS} paired runs`,
  );
  say();
  await up();
  await seedScenario({ scenario: 'broken', namespace: NS, gatewayPort: GATEWAY_PORT, log: () => undefined });
  const kubectl = path.join(binDir(), 'kubectl');
  const proxy = await startLatencyProxy({ pkiDir: FILES.pki, upstreamPort: PORTS.apiserver, dir: CLUSTER_DIR });
  const env = {
    ...process.env,
    FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(GATEWAY_PORT),
    FD_NAMESPACE: '',
  };
  const doctorCli = (extra: string[]) =>
    [process.execPath, [path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'), ...extra]] as [string, string[]];
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build-cli.mjs')], { stdio: 'ignore' });

  // The guide's verification commands for the same facts, one kubectl (or curl) process each.
  const k = (...a: string[]) => [kubectl, ['--kubeconfig', proxy.kubeconfig, '-n', NS, ...a]] as [string, string[]];
  // The same work as the doctor's probe: the whole tree, every depth, summarised in the pod (the
  // doctor's own probe command, run with the UID the namespace's range starts at).
  const nsObject = await new KubeAccess({ kubeconfig: FILES.adminKubeconfig })
    .app()
    .get<KObject>(RESOURCES.namespaces, undefined, NS);
  const uid = Number(
    String(nsObject.metadata?.annotations?.['openshift.io/sa.scc.uid-range'] ?? '1000').split(/[/-]/)[0],
  );
  const probePod = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS },
    spec: {
      restartPolicy: 'Never',
      containers: [
        {
          name: 'probe',
          image: 'registry.access.redhat.com/ubi9/ubi:latest',
          command: ['sh', '-c', probeCommand('/mount/models', uid)],
          volumeMounts: [{ name: 'm', mountPath: '/mount/models', readOnly: true }],
        },
      ],
      volumes: [{ name: 'm', persistentVolumeClaim: { claimName: 'finetuning-ms-models-pvc', readOnly: true } }],
    },
  });
  const baseline = (withProbe: boolean, i: number): Array<[string, string[]]> => {
    const cmds: Array<[string, string[]]> = [
      k('get', 'deployment', 'nemoevaluator-sample', '-o', 'jsonpath={.spec.template.spec.containers[0].env}'),
      k('get', 'nemoevaluator', 'nemoevaluator-sample', '-o', 'jsonpath={.spec.env}'),
      k('auth', 'can-i', 'delete', 'secrets', `--as=system:serviceaccount:${NS}:nemoevaluator-sample`),
      k('get', 'role', 'nemoevaluator-sample', '-o', 'yaml'),
      k('get', 'configmap', 'df-config', '-o', 'jsonpath={.data}'),
      ['curl', ['-s', `http://127.0.0.1:${GATEWAY_PORT}/v1/models/meta/llama-3.2-1b-instruct`]],
      k('get', 'pods'),
      k('get', 'namespace', NS, '-o', 'jsonpath={.metadata.annotations}'),
    ];
    if (withProbe) {
      const name = `bench-probe-${process.pid}-${i}`;
      const file = path.join(os.tmpdir(), `${name}.json`);
      fs.writeFileSync(file, JSON.stringify(probePod(name)));
      cmds.push(
        k('apply', '-f', file),
        k('wait', '--for=jsonpath={.status.phase}=Succeeded', `pod/${name}`, '--timeout=90s'),
        k('logs', name),
        k('delete', 'pod', name, '--wait=false'),
      );
    }
    return cmds;
  };
  const doctorRun = (withProbe: boolean): [string, string[]] =>
    doctorCli([
      'run',
      '--namespace',
      NS,
      '--kubeconfig',
      proxy.kubeconfig,
      '--format',
      'json',
      // The same five facts as the baseline: the guide's checks (the registry has more since).
      ...GUIDE_CHECKS.filter((id) => withProbe || id !== PVC_CHECK).flatMap((id) => ['--check', id]),
    ]);

  if (want(1)) {
    // 1 + 2: paired runs at 0 and 25 ms per request.
    say("## 1–2. The guide's kubectl commands vs `flywheel-doctor run` (whole process)");
    say();
    const requestCounts: Record<string, number> = {};
    const clock = podClock(new KubeAccess({ kubeconfig: FILES.adminKubeconfig }).app(), NS);
    for (const delay of [0, 25]) {
      proxy.delayMs = delay;
      say(`### ${delay} ms added per API request`);
      say();
      say('| | wall | CPU | peak RSS |');
      say('|---|---|---|---|');
      for (const withProbe of [false, true]) {
        const base: Sample[] = [];
        const doc: Sample[] = [];
        for (let i = 0; i < RUNS; i++) {
          // Alternate the order so neither side always runs on a warmer cache.
          const runDoctor = async () => {
            proxy.requests = [];
            const s = await timed(...doctorRun(withProbe), env);
            requestCounts[`${withProbe ? 'with' : 'without'} probe`] = proxy.requests.length;
            doc.push(s);
          };
          if (i % 2) await runDoctor();
          base.push(await sequence(baseline(withProbe, i), env));
          if (!(i % 2)) await runDoctor();
        }
        const label = withProbe ? 'with the PVC probe' : 'without the PVC probe';
        say(row(`kubectl baseline, ${label} (${baseline(withProbe, 99).length} processes)`, base));
        say(row(`flywheel-doctor run, ${label}`, doc));
        const ratio = median(base.map((b) => b.wallMs)) / median(doc.map((d) => d.wallMs));
        say(`| **doctor is ${f2(ratio)}× the speed of the baseline** (wall, ratio of medians) | | | |`);
        if (withProbe) {
          const own = (xs: Sample[]) => median(xs.map((x) => x.wallMs - clock.during(x)));
          const podMs = median([...base, ...doc].map((x) => clock.during(x)));
          say(
            `| without the probe pod's own run time (median ${f0(podMs)} ms; both run the same whole-tree command): kubectl ${f0(own(base))} ms, doctor ${f0(own(doc))} ms: **${f2(own(base) / own(doc))}×** | | | |`,
          );
        }
      }
      say();
    }
    proxy.delayMs = 0;
    const list: Sample[] = [];
    const kv: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      list.push(await timed(...doctorCli(['list'])));
      kv.push(await timed(kubectl, ['version', '--client']));
    }
    say('| no cluster access | wall | CPU | peak RSS |');
    say('|---|---|---|---|');
    say(row('`kubectl version --client`', kv));
    say(row('`flywheel-doctor list`', list));
    say();

    // 3: requests per run.
    say('## 3. API requests per run (counted at the proxy)');
    say();
    const lists = new Set(CHECKS.filter((c) => GUIDE_CHECKS.includes(c.id)).flatMap((c) => c.needs));
    say(
      `- without the PVC probe: ${requestCounts['without probe']} requests; with it: ${requestCounts['with probe']}.`,
    );
    say(
      `- what the guide's five checks need: ${lists.size} lists or gets (${[...lists].join(', ')}), one SubjectAccessReview, pod logs of crashing containers (at most 5), and for the probe: create, watch, delete (its log only when the termination message does not hold the whole summary).`,
    );
    proxy.requests = [];
    await timed(...doctorRun(true), env);
    for (const [p, n] of byRequestPath(proxy.requests)) say(`  - ${n} × \`${p}\``);
    say();
    clock.stop();
  }

  // 4: scale.
  if (want(4)) await scale(kubectl);
  // 5: the PVC probe.
  if (want(5)) await probeTimeline();
  // 6: fix latency.
  if (want(6)) await fixLatency();
  // 7: the server.
  if (want(7)) await server();
  // 8–10: the whole registry, the watch's runs, first-load JS per route (bench/registry.ts).
  const ctx = { say, kubectl, proxy, env, namespace: NS, gatewayPort: GATEWAY_PORT, runs: RUNS, probePod, doctorCli };
  if (want(8)) await wholeRegistry(ctx);
  if (want(9)) await watchTriggeredRun(ctx);
  if (want(10)) await firstLoadPerRoute(ctx);
  await proxy.close();

  if (ONLY) return;
  fs.writeFileSync(path.join(REPO_ROOT, 'bench', 'RESULTS.md'), out.join('\n') + '\n');
  console.log('\nwritten to bench/RESULTS.md');
}

async function scale(kubectl: string) {
  say('## 4. Scale: pods in the namespace (engine time and memory, lists paginated by 500)');
  say();
  say('| pods | engine time (median) | RSS after the run | peak RSS |');
  say('|---|---|---|---|');
  const ns = 'bench-scale';
  const admin = new KubeAccess({ kubeconfig: FILES.adminKubeconfig }).app();
  spawnSync(
    kubectl,
    ['--kubeconfig', FILES.adminKubeconfig, 'delete', 'namespace', ns, '--wait=true', '--ignore-not-found'],
    { stdio: 'ignore' },
  );
  await admin.create(RESOURCES.namespaces, undefined, { metadata: { name: ns } });
  let have = 0;
  for (const target of [100, 500, 2000, 10000]) {
    const names = Array.from({ length: target - have }, (_, i) => `df-scale-${have + i}`);
    // Straight onto the fake kwok node: no scheduler work, the pods only need to exist.
    for (let i = 0; i < names.length; i += 32) {
      await Promise.all(
        names.slice(i, i + 32).map((name) =>
          admin.create(RESOURCES.pods, ns, {
            metadata: { name, labels: { app: 'df-scale' } },
            spec: { nodeName: 'kwok-node-0', containers: [{ name: 'c', image: 'scale' }] },
          }),
        ),
      );
    }
    have = target;
    const r = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        path.join(REPO_ROOT, 'bench/engine-once.ts'),
        ns,
        String(RUNS),
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: FILES.adminKubeconfig },
      },
    );
    const m = JSON.parse(r.stdout.trim().split('\n').pop()!) as { engineMs: number[]; rssMiB: number; peakMiB: number };
    say(`| ${target} | ${f0(median(m.engineMs))} ms | ${f0(m.rssMiB)} MiB | ${f0(m.peakMiB)} MiB |`);
  }
  // Waited for: ten thousand pods going away keep the API server and the controllers busy, and the
  // sections after this one time whole processes against that API server.
  spawnSync(
    kubectl,
    ['--kubeconfig', FILES.adminKubeconfig, 'delete', 'namespace', ns, '--wait=true', '--timeout=600s'],
    {
      stdio: 'ignore',
    },
  );
  say();
}

/** A client that records when each request started and ended. */
function recording(client: KubeClient) {
  const log: Array<{ what: string; start: number; end: number }> = [];
  const orig = client.request.bind(client);
  client.request = (async (method: string, p: string, o?: object) => {
    const start = performance.now();
    try {
      return await orig(method, p, o);
    } finally {
      log.push({ what: `${method} ${p.replace(/.*\/namespaces\/[^/]+/, '')}`, start, end: performance.now() });
    }
  }) as KubeClient['request'];
  const origWatch = client.watchObject.bind(client);
  client.watchObject = (async (...a: Parameters<KubeClient['watchObject']>) => {
    const start = performance.now();
    try {
      return await origWatch(...a);
    } finally {
      log.push({ what: `WATCH ${a[0].plural}/${a[2]}`, start, end: performance.now() });
    }
  }) as KubeClient['watchObject'];
  return log;
}

async function probeTimeline() {
  say('## 5. The PVC probe: pod create to verdict');
  say();
  const doctor = createDoctor({
    registry: CHECKS,
    kubeconfig: FILES.adminKubeconfig,
    namespace: NS,
    config: { serviceUrlOverrides: serviceOverrides(GATEWAY_PORT) },
    env: {},
  });
  const totals: number[] = [];
  let phases: Array<{ what: string; ms: number }> = [];
  for (let i = 0; i < RUNS; i++) {
    const client = doctor.access.app();
    const log = recording(client);
    const access = { ...doctor.access, app: () => client } as unknown as KubeAccess;
    const { runChecks } = await import('../lib/engine/runner');
    const t0 = performance.now();
    const run = await runChecks({ client: access.app(), config: doctor.config, registry: CHECKS, only: [PVC_CHECK] });
    totals.push(performance.now() - t0);
    if (run.checks[0]!.status === 'error') say(`(probe error: ${run.checks[0]!.summary})`);
    const probe = log.filter((l) => /\/pods/.test(l.what) || l.what.startsWith('WATCH'));
    if (!probe.some((l) => l.what.startsWith('POST'))) {
      say(`(run ${i}: no probe pod: ${run.checks[0]!.status}: ${run.checks[0]!.summary})`);
      continue;
    }
    phases = probe.map((l) => ({
      what: l.what.replace(/fd-pvc-probe-[0-9a-f]+/, 'fd-pvc-probe-…'),
      ms: l.end - l.start,
    }));
  }
  say(
    `- whole check (snapshot, probe pod, verdict): median ${f0(median(totals))} ms (min ${f0(Math.min(...totals))}, max ${f0(Math.max(...totals))}).`,
  );
  say('- one run, request by request:');
  for (const p of phases) say(`  - ${p.what}: ${f0(p.ms)} ms`);
  // What dominates, as this run measured it (not asserted): the waits on the pod against the rest.
  const waited = phases.filter((p) => p.what.startsWith('WATCH')).reduce((a, p) => a + p.ms, 0);
  const rest = phases.filter((p) => !p.what.startsWith('WATCH')).reduce((a, p) => a + p.ms, 0);
  if (phases.length)
    say(
      `- In the last run, waiting on the pod (the watches) took ${f0(waited)} ms and the other requests ${f0(rest)} ms together: ${waited > rest ? 'the wait dominates' : 'the requests dominate'}.`,
    );
  say();
}

async function fixLatency() {
  say('## 6. Fix latency: evaluator-entity-store-url, apply to verified pass');
  say();
  const ns = 'bench-fix';
  const port = testPort(81);
  await seedScenario({ scenario: 'broken', namespace: ns, gatewayPort: port, log: () => undefined });
  const doctor = createDoctor({
    registry: CHECKS,
    kubeconfig: FILES.adminKubeconfig,
    namespace: ns,
    config: { serviceUrlOverrides: serviceOverrides(port) },
    env: {},
  });
  const admin = doctor.access.app();
  // Judged through the gateway's answers: fix what it depends on first, as Fix all does, so the
  // verification can pass.
  for (const dep of CHECKS.find((c) => c.id === 'evaluator-entity-store-url')!.dependsOn ?? [])
    await doctor.fix(dep, { dryRun: false });
  const totals: number[] = [];
  const rollouts: number[] = [];
  const fixRuns = Math.min(RUNS, 5);
  for (let i = 0; i < fixRuns; i++) {
    // Break it again the way a redeploy does: the CR points at the Entity Store.
    if (i > 0) {
      const cr = await admin.get<KObject>(RESOURCES.nemoevaluators, ns, 'nemoevaluator-sample');
      await admin.jsonPatch(RESOURCES.nemoevaluators, ns, 'nemoevaluator-sample', [
        {
          op: 'replace',
          path: '/spec/env',
          value: (cr.spec.env ?? []).filter((e: { name: string }) => e.name !== 'ENTITY_STORE_URL'),
        },
      ]);
      await waitForObject(
        admin,
        RESOURCES.deployments,
        ns,
        'nemoevaluator-sample',
        (d) => rolloutState(d).done && !JSON.stringify(d.spec.template.spec.containers).includes('http://nemo-gateway'),
        90_000,
      );
    }
    const before = await admin.get<KObject>(RESOURCES.deployments, ns, 'nemoevaluator-sample');
    // An independent watcher times the rollout itself: from the new generation to rollout complete.
    let genAt = 0;
    const rollout = waitForObject(
      admin,
      RESOURCES.deployments,
      ns,
      'nemoevaluator-sample',
      (d) => {
        if (!genAt && (d.metadata?.generation ?? 0) > (before.metadata?.generation ?? 0)) genAt = performance.now();
        return genAt > 0 && rolloutState(d).done;
      },
      120_000,
    ).then(() => performance.now());
    const t0 = performance.now();
    const outcome = await doctor.fix('evaluator-entity-store-url', { dryRun: false });
    const t1 = performance.now();
    const doneAt = await rollout;
    // Only runs that verified pass count towards "apply to verified pass".
    if (outcome.outcome !== 'applied' || outcome.verified.status !== 'pass') {
      say(
        `(run ${i}: ${outcome.outcome}${'verified' in outcome ? `, verified ${outcome.verified.status}: ${outcome.verified.summary}` : ''}; left out of the medians)`,
      );
      continue;
    }
    totals.push(t1 - t0);
    rollouts.push(doneAt - genAt);
  }
  say(`- ${totals.length} of ${fixRuns} runs verified pass; the medians below are over those.`);
  const overhead = totals.map((t, i) => t - rollouts[i]!);
  say(
    `- apply to verified pass: median ${f0(median(totals))} ms; the rollout itself (new generation to complete, seen by an independent watch): median ${f0(median(rollouts))} ms.`,
  );
  say(
    `- **overhead: median ${f0(median(overhead))} ms** (patch, operator re-render, verification run); waits watch the Deployment instead of polling.`,
  );
  say();
}

async function server() {
  say('## 7. The server: 50 concurrent "Run all" for one namespace and identity');
  say();
  const server = await startServer({ port: testPort(82), namespace: NS, gatewayPort: GATEWAY_PORT });
  if (!server) {
    say('- skipped: no production build (run `npm run build` first).');
    return;
  }
  const { base, rss } = server;
  // RSS once the server has had time to settle: V8 returns memory it no longer needs when idle.
  const SETTLE_S = 20;
  const settled = async () => {
    await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
    return rss();
  };
  const mib = (x: number) => `${f0(x)} MiB`;
  try {
    const post = async (body: object) => {
      const t = performance.now();
      const res = await fetch(`${base}/api/runs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { run: { id: string; state: string } };
      return { ms: performance.now() - t, id: json.run.id };
    };
    const quick = CHECKS.map((c) => c.id).filter((id) => id !== PVC_CHECK);
    await post({ wait: true, checks: quick }); // warm-up: first requests compile routes
    const idle = await settled();
    const burst = await Promise.all(Array.from({ length: 50 }, () => post({ wait: false })));
    const ids = new Set(burst.map((b) => b.id));
    const lat = burst.map((b) => b.ms);
    say(
      `- 50 concurrent POST /api/runs: **${ids.size} run${ids.size === 1 ? '' : 's'} started** (the others joined it); POST latency p50 ${f0(pct(lat, 50))} ms, p90 ${f0(pct(lat, 90))} ms, p99 ${f0(pct(lat, 99))} ms, max ${f0(Math.max(...lat))} ms.`,
    );
    for (;;) {
      const r = (await (await fetch(`${base}/api/runs/${[...ids][0]}?namespace=${NS}`)).json()) as {
        run: { state: string };
      };
      if (r.run.state === 'done') break;
      await new Promise((res) => setTimeout(res, 200));
    }
    // The server keeps the last 50 runs by design: fill that first, then see whether 200 more grow it.
    // fresh: each of these is a run of its own (by default a request shares one that just finished).
    for (let i = 0; i < 50; i++) await post({ wait: true, fresh: true, checks: quick });
    const full = await settled();
    const t = performance.now();
    for (let i = 0; i < 200; i++) await post({ wait: true, fresh: true, checks: quick });
    const took = (performance.now() - t) / 1000;
    const busy = rss();
    const after = await settled();
    const growth = (a: number, b: number) => `${b >= a ? '+' : ''}${f0(((b - a) / a) * 100)} %`;
    say(
      `- RSS, each time after ${SETTLE_S} s without requests: idle after a warm-up run ${mib(idle)}; with the 50 runs it retains ${mib(full)}; after 200 more runs ${mib(after)} (${mib(busy)} right after them; ${took.toFixed(0)} s of back-to-back runs): **${growth(idle, after)} against idle**, ${growth(full, after)} against the full run cache. (RSS includes garbage V8 has not collected yet.)`,
    );
    // Whether anything is kept per run: the heap after a full collection (a heap snapshot forces
    // one), then 200 more runs, then again. Taken last, as writing a snapshot inflates RSS.
    const before = await server.heapSnapshot();
    for (let i = 0; i < 200; i++) await post({ wait: true, fresh: true, checks: quick });
    const later = await server.heapSnapshot();
    const kib = (a: number, b: number) => `${b >= a ? '+' : ''}${f0((b - a) * 1024)} KiB`;
    say(
      `- Heap after a full collection, before and after another 200 runs: ${f2(before.totalMiB)} → ${f2(later.totalMiB)} MiB; **the program's values ${kib(before.objectsMiB, later.objectsMiB)}** (${f2(before.objectsMiB)} → ${f2(later.objectsMiB)} MiB), V8's compiled code and internal structures ${kib(before.codeMiB, later.codeMiB)}.`,
    );
  } finally {
    server.stop();
  }
  say();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

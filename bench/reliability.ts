/**
 * npm run bench:reliability: the hostile probe as a campaign on the local control plane, with its
 * figures written to bench/RELIABILITY.md. Every cell is an observation of this run (a count, a
 * status, a time), read from the cluster or from the answer; no sentence is printed that the
 * numbers do not say. Faults (the API server stopped or killed, the CLI or the server killed
 * mid-fix, concurrent fixes, quotas, a namespace being deleted, a pathological nginx pattern, a
 * flood of changes, a damaged history, a bad FD_WATCH, an exec-plugin kubeconfig), planted secrets
 * searched for in every output and sink, and hostile requests against the production server. Only
 * processes this script started are killed (by PID).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { CHECKS } from '../checks';
import { restartPatch } from '../lib/engine/plan-helpers';
import { createDoctor } from '../lib/engine/factory';
import { FixConflictError } from '../lib/engine/fix';
import { KubeApiError } from '../lib/k8s/errors';
import type { KObject } from '../lib/k8s/object';
import { RESOURCES } from '../lib/k8s/resources';
import { waitForRollout } from '../lib/k8s/wait';
import { metrics } from '../lib/metrics';
import { HistoryStore, type HistoryEntry } from '../lib/watch/history';
import { NamespaceMonitor } from '../lib/watch/monitor';
import { up } from '../test/cluster/cluster';
import { FILES, REPO_ROOT, testPort, TOKENS, serviceOverrides, serviceOverridesEnv } from '../test/cluster/paths';
import { killCliWhen } from '../test/cluster/cli-process';
import { plantSecrets } from '../test/cluster/plant-secrets';
import { seedScenario, type ScenarioName } from '../test/cluster/seed';
import { startServer, type BenchServer } from './server';

const ROUNDS = Number(process.env.RELIABILITY_ROUNDS ?? 3);
const NS = 'reliability';
const PORT = testPort(83);
const SERVER_PORT = testPort(84);
const WATCH_NS = 'reliability-watch';
const WATCH_PORT = testPort(85);
const out: string[] = [];
const say = (l = '') => {
  console.log(l);
  out.push(l);
};
const apiPid = () => Number(fs.readFileSync(path.join(FILES.pids, 'kube-apiserver.pid'), 'utf8'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const doctor = (ns = NS, port = PORT) =>
  createDoctor({
    registry: CHECKS,
    kubeconfig: FILES.adminKubeconfig,
    namespace: ns,
    config: { serviceUrlOverrides: serviceOverrides(port), rolloutTimeoutMs: 90_000 },
    env: {},
    metrics,
  });
const admin = () => doctor().access.app();
const seed = (scenario: ScenarioName, ns = NS, port = PORT) =>
  seedScenario({ scenario, namespace: ns, gatewayPort: port, log: () => undefined });
const ourPods = async (ns = NS) =>
  (await admin().list<KObject>(RESOURCES.pods, ns, { query: { labelSelector: 'flywheel-doctor.dev/role' } })).items
    .length;
const ourLeases = async (ns = NS) =>
  (await admin().list<KObject>(RESOURCES.leases, ns)).items.filter((l) =>
    /^flywheel-doctor-(lock|fix)-/.test(l.metadata?.name ?? ''),
  ).length;
const statusOf = async (id: string, ns = NS, port = PORT) => (await doctor(ns, port).run([id])).checks[0]!.status;
const count = (xs: string[]) =>
  Object.entries(xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {}))
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
const post = (base: string, p: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}${p}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** Restart the gateway onto its ConfigMap without the mock, so gateway-models fails again. */
async function breakGateway() {
  const a = admin();
  const cm = await a.get<KObject>(RESOURCES.configmaps, NS, 'nemo-gateway-config');
  const conf = (cm.data['nginx.conf'] as string).replace(
    /\n[^\n]*# Mock Entity Store answer[^\n]*\n[^\n]*location = [^\n]*\n[^\n]*\n[^\n]*\n[^\n]*}\n/g,
    '\n',
  );
  await a.jsonPatch(RESOURCES.configmaps, NS, 'nemo-gateway-config', [
    { op: 'replace', path: '/data/nginx.conf', value: conf },
  ]);
  await a.jsonPatch(
    RESOURCES.deployments,
    NS,
    'nemo-gateway',
    restartPatch(await a.get<KObject>(RESOURCES.deployments, NS, 'nemo-gateway')),
  );
  await waitForRollout(a, NS, 'nemo-gateway', 90_000);
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`http://127.0.0.1:${PORT}/v1/models/meta/llama-3.2-1b-instruct`).catch(() => undefined);
    if (res?.status === 404) return;
    await sleep(200);
  }
}

/**
 * After a fault mid-fix: read from the cluster whether the check is left half-done (not passing),
 * then whether the next plan finishes the job (verified pass), and whether anything is still not
 * passing after it.
 */
async function afterFault(id: string, tally: { half: number; finished: number; still: number }) {
  if ((await statusOf(id)) !== 'pass') tally.half++;
  const o = await doctor()
    .fix(id, { dryRun: false })
    .catch(() => undefined);
  if (o && 'verified' in o && o.verified.status === 'pass') tally.finished++;
  if ((await statusOf(id)) !== 'pass') tally.still++;
}

async function faults() {
  say('## Faults mid-run and mid-fix');
  say();
  say(
    '| fault | injected | results seen | our pods left | our Leases left | left not passing (read back) | next plan verified pass | still not passing after it |',
  );
  say('|---|---|---|---|---|---|---|---|');
  // 1. API server stopped (SIGSTOP 2 s) while the PVC probe pod runs.
  const statuses: string[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const run = doctor().run(['models-pvc-ownership']);
    for (let j = 0; j < 100 && (await ourPods()) === 0; j++) await sleep(30);
    process.kill(apiPid(), 'SIGSTOP');
    await sleep(2000);
    process.kill(apiPid(), 'SIGCONT');
    statuses.push((await run).checks[0]!.status);
    await doctor().run(['models-pvc-ownership']);
  }
  say(
    `| API server stopped 2 s mid-probe (broken: never pass) | ${ROUNDS} | ${count(statuses)} | ${await ourPods()} | ${await ourLeases()} | n/a | n/a | n/a |`,
  );
  // 2. The CLI killed right after the gateway ConfigMap patch.
  let t = { half: 0, finished: 0, still: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    await breakGateway();
    await killCliWhen(
      ['fix', 'gateway-models', '--yes', '-n', NS, '--kubeconfig', FILES.adminKubeconfig],
      { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) },
      /applied: update ConfigMap/,
    );
    await afterFault('gateway-models', t);
  }
  say(
    `| CLI killed after the gateway ConfigMap patch | ${ROUNDS} | - | ${await ourPods()} | ${await ourLeases()} | ${t.half} | ${t.finished} of ${ROUNDS} | ${t.still} |`,
  );
  // 3. The API server killed (SIGKILL) right after the ConfigMap patch, then restarted.
  t = { half: 0, finished: 0, still: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    await breakGateway();
    await doctor()
      .fix('gateway-models', {
        dryRun: false,
        onProgress: (s) => /applied: update ConfigMap/.test(s) && process.kill(apiPid(), 'SIGKILL'),
      })
      .catch(() => undefined);
    await up();
    await afterFault('gateway-models', t);
  }
  say(
    `| API server killed after the gateway ConfigMap patch, restarted | ${ROUNDS} | - | ${await ourPods()} | ${await ourLeases()} | ${t.half} | ${t.finished} of ${ROUNDS} | ${t.still} |`,
  );
  say();
  await concurrency();
  await serverKilled();
}

/** Concurrent fixes: counted as they answered, then read back from the cluster. */
async function concurrency() {
  say(
    '| concurrent fixes | rounds | applied | refused 409 | other errors | both checks pass afterwards (refused one re-applied) | gateway answers /v1/namespaces |',
  );
  say('|---|---|---|---|---|---|---|');
  const tally = async (fixes: Array<() => Promise<unknown>>) => {
    const r = await Promise.allSettled(fixes.map((f) => f()));
    return {
      applied: r.filter((x) => x.status === 'fulfilled' && (x.value as { outcome: string }).outcome === 'applied')
        .length,
      refused: r.filter((x) => x.status === 'rejected' && x.reason instanceof FixConflictError).length,
      other: r.filter((x) => x.status === 'rejected' && !(x.reason instanceof FixConflictError)).length,
      refusedIds: r.flatMap((x, i) => (x.status === 'rejected' && x.reason instanceof FixConflictError ? [i] : [])),
    };
  };
  // Two fixes of one check.
  let sum = { applied: 0, refused: 0, other: 0 };
  for (let i = 0; i < ROUNDS; i++) {
    await breakGateway();
    const r = await tally([0, 1].map(() => () => doctor().fix('gateway-models', { dryRun: false })));
    sum = { applied: sum.applied + r.applied, refused: sum.refused + r.refused, other: sum.other + r.other };
  }
  say(`| two fixes of gateway-models | ${ROUNDS} | ${sum.applied} | ${sum.refused} | ${sum.other} | n/a | n/a |`);
  // Two different fixes that edit one ConfigMap and restart one Deployment.
  sum = { applied: 0, refused: 0, other: 0 };
  let bothPass = 0;
  let answers = 0;
  const ids = ['gateway-upstreams', 'gateway-deployment-mocks'];
  for (let i = 0; i < ROUNDS; i++) {
    await seed('broken');
    const r = await tally(ids.map((id) => () => doctor().fix(id, { dryRun: false })));
    sum = { applied: sum.applied + r.applied, refused: sum.refused + r.refused, other: sum.other + r.other };
    for (const k of r.refusedIds)
      await doctor()
        .fix(ids[k]!, { dryRun: false })
        .catch(() => undefined);
    const after = await doctor().run(ids);
    if (after.checks.every((c) => c.status === 'pass')) bothPass++;
    if ((await fetch(`http://127.0.0.1:${PORT}/v1/namespaces`).catch(() => undefined))?.status === 200) answers++;
  }
  say(
    `| gateway-upstreams and gateway-deployment-mocks at once | ${ROUNDS} | ${sum.applied} | ${sum.refused} | ${sum.other} | ${bothPass} of ${ROUNDS} | ${answers} of ${ROUNDS} |`,
  );
  say();
}

/** The server killed (SIGKILL) while its chown pod runs; a new server starts: what is left, and for how long. */
async function serverKilled() {
  say(
    '| server killed mid-fix (PVC chown pod running), then started again | rounds | our pods right after the kill | our Leases right after | pods left 10 s after the new server started | Leases left then |',
  );
  say('|---|---|---|---|---|---|');
  let podsAtKill = 0;
  let leasesAtKill = 0;
  let podsAfter = 0;
  let leasesAfter = 0;
  for (let i = 0; i < ROUNDS; i++) {
    await seed('broken');
    let server = await startServer({ port: SERVER_PORT, namespace: NS, gatewayPort: PORT });
    const preview = (await (
      await post(server!.base, '/api/checks/models-pvc-ownership/fix', { dryRun: true })
    ).json()) as { plan: { fingerprint: string; guards: unknown[] } };
    const applying = post(server!.base, '/api/checks/models-pvc-ownership/fix', {
      dryRun: false,
      expectedFingerprint: preview.plan.fingerprint,
      expectedGuards: preview.plan.guards,
    }).catch(() => undefined);
    for (let j = 0; j < 200; j++) {
      const pods = await admin().list<KObject>(RESOURCES.pods, NS, {
        query: { labelSelector: 'flywheel-doctor.dev/role=pvc-fix' },
      });
      if (pods.items.length) break;
      await sleep(50);
    }
    server!.kill();
    await applying;
    podsAtKill += await ourPods();
    leasesAtKill += await ourLeases();
    server = await startServer({ port: SERVER_PORT, namespace: NS, gatewayPort: PORT });
    await sleep(10_000);
    podsAfter += await ourPods();
    leasesAfter += await ourLeases();
    server!.stop();
  }
  say(`| (sums over rounds) | ${ROUNDS} | ${podsAtKill} | ${leasesAtKill} | ${podsAfter} | ${leasesAfter} |`);
  say();
}

/** Hostile cluster content and configuration, each judged by what the doctor answered. */
async function hostileContent(server: BenchServer) {
  say('## Hostile cluster content and configuration');
  say();
  say('| what | observed |');
  say('|---|---|');
  const { base } = server;
  const a = admin();
  // A pathological pattern in the gateway ConfigMap: the run's time, and the server's health meanwhile.
  await seed('broken');
  const cm = await a.get<KObject>(RESOURCES.configmaps, NS, 'nemo-gateway-config');
  const conf = (cm.data['nginx.conf'] as string).replace(
    '# Catch-all',
    'location ~ ^/v1/model(.*)*!$ { return 404; }\n        # Catch-all',
  );
  await a.jsonPatch(RESOURCES.configmaps, NS, 'nemo-gateway-config', [
    { op: 'replace', path: '/data/nginx.conf', value: conf },
  ]);
  const health: number[] = [];
  let running = true;
  const poll = (async () => {
    while (running) {
      const t0 = performance.now();
      const ok = (await fetch(`${base}/api/healthz`).catch(() => undefined))?.ok;
      health.push(ok ? performance.now() - t0 : Infinity);
      await sleep(100);
    }
  })();
  const t0 = performance.now();
  const run = (await (await post(base, '/api/runs', { wait: true })).json()) as {
    run: { checks: Array<{ id: string; status: string; summary: string }> };
  };
  const runMs = performance.now() - t0;
  running = false;
  await poll;
  const gateway = run.run.checks.filter((c) => c.id.startsWith('gateway-'));
  say(
    `| \`location ~ ^/v1/model(.*)*!$\` in nginx.conf | whole run ${Math.round(runMs)} ms; /api/healthz answered ${health.filter(Number.isFinite).length} of ${health.length} polls meanwhile, slowest ${Math.round(Math.max(...health.filter(Number.isFinite)))} ms; gateway checks: ${count(gateway.map((c) => c.status))} |`,
  );
  // Quotas and a namespace being deleted: is the cause named, or is a permission asked for?
  const cause = (e: unknown) =>
    e instanceof KubeApiError
      ? /missing permission|add-role-to-user/.test(e.message)
        ? 'asks for a permission'
        : /quota, not RBAC|being deleted \(Terminating\)/.test(e.message)
          ? 'names the cause'
          : `other: ${e.message.slice(0, 80)}`
      : String(e).slice(0, 80);
  await a
    .request('POST', `/api/v1/namespaces/${NS}/resourcequotas`, {
      body: {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'cm-quota' },
        spec: { hard: { 'count/configmaps': '0' } },
      },
    })
    .catch(() => undefined);
  let quota = 'not refused within 20 s';
  for (let i = 0; i < 100; i++) {
    const e = await a
      .create(RESOURCES.configmaps, NS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `q-${i}` } })
      .then(
        () => undefined,
        (x: unknown) => x,
      );
    if (e) {
      quota = cause(e);
      break;
    }
    await sleep(200);
  }
  await a.request('DELETE', `/api/v1/namespaces/${NS}/resourcequotas/cm-quota`).catch(() => undefined);
  say(`| ConfigMap quota full, a create refused | ${quota} |`);
  // A pod-health restart under a full pod quota.
  await seed('broken');
  const pods = (await a.list<KObject>(RESOURCES.pods, NS)).items.length;
  await a.request('POST', `/api/v1/namespaces/${NS}/resourcequotas`, {
    body: {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'pod-quota' },
      spec: { hard: { pods: String(pods) } },
    },
  });
  const q0 = performance.now();
  const restart = await doctor()
    .fix('pod-health', { dryRun: false })
    .then(
      (o) => `applied (${'verified' in o ? o.verified.status : o.outcome})`,
      (e: Error) =>
        `${/exceeded quota/.test(e.message) ? 'quota named' : 'quota not named'}; ${/in effect: [^;]*restart applied/.test(e.message) ? 'read back: restart applied' : /in effect: nothing/.test(e.message) ? 'read back: in effect: nothing' : 'no read-back'}`,
    );
  await a.request('DELETE', `/api/v1/namespaces/${NS}/resourcequotas/pod-quota`).catch(() => undefined);
  say(
    `| pod-health restart under a full pod quota | ${restart}, answered in ${Math.round(performance.now() - q0)} ms |`,
  );
  // A namespace being deleted (held by a finalizer).
  const TNS = 'reliability-terminating';
  await seed('healthy', TNS, testPort(86));
  await a.create(RESOURCES.configmaps, TNS, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'hold', finalizers: ['flywheel-doctor.dev/test-hold'] },
  });
  await a.delete(RESOURCES.namespaces, undefined, TNS);
  const tRun = await doctor(TNS, testPort(86)).run();
  const tCreate = await a
    .create(RESOURCES.configmaps, TNS, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } })
    .then(() => 'created', cause);
  await a.request('PATCH', `/api/v1/namespaces/${TNS}/configmaps/hold`, {
    contentType: 'application/merge-patch+json',
    body: { metadata: { finalizers: null } },
  });
  say(
    `| namespace Terminating | run notice: ${tRun.notice ? 'says it is being deleted' : 'none'}; a create: ${tCreate} |`,
  );
  // Runs asked for namespaces that do not exist: metrics size.
  const before = (await (await fetch(`${base}/api/metrics`)).text()).length;
  for (let i = 0; i < 200; i++) await post(base, '/api/runs', { wait: true, namespace: `made-up-${i}` });
  const after = (await (await fetch(`${base}/api/metrics`)).text()).length;
  say(`| 200 runs for namespaces that do not exist | /api/metrics ${before} → ${after} bytes |`);
  // An exec-plugin kubeconfig in the CLI: three calls (the later ones from the code cache).
  say(`| exec-plugin kubeconfig, 3 CLI runs | checks in error per call: ${(await execPluginCli()).join(', ')} |`);
  say();
}

async function execPluginCli(): Promise<number[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-rel-exec-'));
  const kc = parseYaml(fs.readFileSync(FILES.adminKubeconfig, 'utf8')) as {
    clusters: Array<{ name: string }>;
    users: Array<{ user: Record<string, string> }>;
  };
  const u = kc.users[0]!.user;
  fs.writeFileSync(
    path.join(dir, 'cred.json'),
    JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: Buffer.from(u['client-certificate-data']!, 'base64').toString(),
        clientKeyData: Buffer.from(u['client-key-data']!, 'base64').toString(),
      },
    }),
  );
  fs.writeFileSync(path.join(dir, 'helper.sh'), `#!/bin/sh\ncat "${path.join(dir, 'cred.json')}"\n`, { mode: 0o755 });
  const file = path.join(dir, 'kubeconfig');
  fs.writeFileSync(
    file,
    stringifyYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: kc.clusters,
      users: [
        {
          name: 'x',
          user: {
            exec: {
              apiVersion: 'client.authentication.k8s.io/v1',
              command: path.join(dir, 'helper.sh'),
              interactiveMode: 'Never',
            },
          },
        },
      ],
      contexts: [{ name: 'x', context: { cluster: kc.clusters[0]!.name, user: 'x' } }],
      'current-context': 'x',
    }),
  );
  const errors: number[] = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'), 'run', '--format', 'json', '-n', NS, '--kubeconfig', file],
      { encoding: 'utf8', env: { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) } },
    );
    try {
      errors.push((JSON.parse(r.stdout) as { summary: { error: number } }).summary.error);
    } catch {
      errors.push(-1);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return errors;
}

/** The watch under hostile conditions: a flood of changes, a damaged history, a bad FD_WATCH. */
async function watchFaults() {
  say('## The watch');
  say();
  say('| what | observed |');
  say('|---|---|');
  const a = admin();
  await seed('healthy', WATCH_NS, WATCH_PORT);
  const d = doctor(WATCH_NS, WATCH_PORT);
  const entries: HistoryEntry[] = [];
  // The history is kept in the watched namespace itself here (the server's FD_REPORT_NAMESPACE below).
  const store = new HistoryStore(a, WATCH_NS, WATCH_NS);
  await a.delete(RESOURCES.configmaps, WATCH_NS, store.name).catch(() => undefined);
  const monitor = new NamespaceMonitor({
    doctor: d,
    history: store,
    onEntry: (e) => entries.push(e),
  });
  await monitor.start();
  // An annotation every 0.4 s for 20 s; a real regression (the CR's NIM_PROXY_URL) 5 s in.
  const id = 'evaluator-nim-proxy-url';
  let regressedAt = 0;
  for (let t = 0; t < 20_000; t += 400) {
    await a.request('PATCH', `/api/v1/namespaces/${WATCH_NS}/configmaps/nemo-gateway-config`, {
      contentType: 'application/merge-patch+json',
      body: { metadata: { annotations: { churn: String(t) } } },
    });
    if (t === 5200) {
      await a.request(
        'PATCH',
        `/apis/apps.nvidia.com/v1alpha1/namespaces/${WATCH_NS}/nemoevaluators/nemoevaluator-sample`,
        {
          contentType: 'application/merge-patch+json',
          body: { spec: { env: [{ name: 'NIM_PROXY_URL', value: 'http://wrong-nim:8000' }] } },
        },
      );
      regressedAt = Date.now();
    }
    await sleep(400);
  }
  monitor.stop();
  await monitor.idle();
  const seen = entries.find((e) => e.transitions.some((x) => x.check === id && x.from === 'pass' && x.to !== 'pass'));
  say(
    `| a change every 0.4 s for 20 s, a regression 5.2 s in (debounce 1 s, maximum wait 5 s) | regression recorded ${seen ? `${Date.parse(seen.at) - regressedAt} ms after the change` : 'not recorded during the flood'}; ${entries.length} history entries |`,
  );
  // A damaged history: what is read, and the next entry.
  await a.jsonPatch(RESOURCES.configmaps, WATCH_NS, store.name, [
    { op: 'replace', path: '/data/history.json', value: '[{"at": "2026-01-01", "runId": ' },
  ]);
  const damaged = await store.read();
  await store.append({ at: new Date().toISOString(), runId: 'after', reason: 'change', statuses: {}, transitions: [] });
  const after = await store.read();
  say(
    `| history ConfigMap with broken JSON | read: ${damaged.entries.length} entries, damaged=${damaged.damaged}; after the next append: ${after.entries.length} entry, damaged=${after.damaged} |`,
  );
  // FD_WATCH with a bad name beside a good one: what the server logs, and whether the good one is watched.
  await a.delete(RESOURCES.configmaps, WATCH_NS, store.name).catch(() => undefined);
  const server = await startServer({
    port: testPort(87),
    namespace: WATCH_NS,
    gatewayPort: WATCH_PORT,
    env: { FD_WATCH: `Bad_NS,${WATCH_NS}`, FD_WATCH_SCHEDULE_SECONDS: '0', FD_REPORT_NAMESPACE: WATCH_NS },
  });
  let watched = false;
  for (let i = 0; i < 150 && !watched; i++) {
    watched = (await store.load()).length > 0;
    if (!watched) await sleep(200);
  }
  const log = server!.log();
  server!.stop();
  say(
    `| FD_WATCH=Bad_NS,${WATCH_NS} | log ${/ignoring "Bad_NS"/.test(log) ? 'names the bad name' : 'does not name the bad name'}; ${watched ? `${WATCH_NS} watched (history written)` : `${WATCH_NS} not watched within 30 s`}; ${/ZodError/.test(log) ? 'ZodError in the log' : 'no ZodError'} |`,
  );
  say();
}

async function leaks(base: string) {
  say('## Leaks (planted secrets searched for in every output and sink)');
  say();
  await seed('broken');
  const planted = await plantSecrets(admin(), NS, 'ZZREL');
  const a = admin();
  // Positive control: every planted value is in the cluster, unmasked, where a check reads it.
  const sources = [
    JSON.stringify(await a.get(RESOURCES.nemoevaluators, NS, 'nemoevaluator-sample')),
    JSON.stringify(await a.get(RESOURCES.namespaces, undefined, NS)),
    JSON.stringify(await a.get(RESOURCES.configmaps, NS, 'nemo-gateway-config')),
  ];
  for (const p of (await a.list<KObject>(RESOURCES.pods, NS)).items)
    sources.push(await a.podLog(NS, p.metadata!.name!, p.spec.containers[0].name).catch(() => ''));
  const present = planted.filter((s) => sources.some((x) => x.includes(s)));
  const outputs: string[] = [];
  const env = { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) };
  const cli = (...args: string[]) => {
    const r = spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'), ...args, '-n', NS, '--kubeconfig', FILES.adminKubeconfig],
      { encoding: 'utf8', env },
    );
    return r.stdout + r.stderr;
  };
  let jsonBroken = 0;
  for (const format of ['text', 'json', 'markdown', 'junit']) outputs.push(cli('run', '--format', format));
  for (const c of CHECKS.filter((x) => x.fix))
    for (const format of ['text', 'json']) {
      const o = cli('fix', c.id, '--dry-run', '--format', format);
      if (format === 'json' && o.trim().startsWith('{')) {
        try {
          JSON.parse(o.slice(0, o.lastIndexOf('}') + 1));
        } catch {
          jsonBroken++;
        }
      }
      outputs.push(o);
    }
  const runText = await (await post(base, '/api/runs', { wait: true, namespace: NS })).text();
  outputs.push(runText);
  for (const c of CHECKS.filter((x) => x.fix))
    outputs.push(
      await (await post(base, `/api/checks/${c.id}/fix`, { dryRun: true, namespace: NS, stream: true })).text(),
    );
  const shared = (await (
    await post(base, '/api/reports', { runId: (JSON.parse(runText) as { run: { id: string } }).run.id, namespace: NS })
  ).json()) as { id: string };
  for (const f of ['md', 'json', 'html'])
    outputs.push(await (await fetch(`${base}/api/reports/${shared.id}/download?format=${f}`)).text());
  // Sinks in the cluster: fixes applied (Events, history), stored reports; and the server's metrics.
  const d = doctor();
  for (const c of CHECKS.filter((x) => x.fix)) {
    const preview = await d.fix(c.id, { dryRun: true }).catch(() => undefined);
    if (preview?.plan.changes.length)
      await d
        .fix(c.id, {
          dryRun: false,
          expectedFingerprint: preview.plan.fingerprint,
          expectedGuards: preview.plan.guards,
        })
        .catch(() => undefined);
  }
  const sinks = [
    JSON.stringify((await a.list<KObject>(RESOURCES.events, NS)).items.filter((e) => e.reason === 'FlywheelDoctorFix')),
    JSON.stringify(
      await a.get(RESOURCES.configmaps, d.appNamespace, `flywheel-doctor-history-${NS}`).catch(() => ({})),
    ),
    JSON.stringify(
      (
        await a.request<{ items: KObject[] }>('GET', '/api/v1/configmaps', {
          query: { labelSelector: 'flywheel-doctor.dev/report=true' },
        })
      ).items,
    ),
    await (await fetch(`${base}/api/metrics`)).text(),
  ];
  const found = planted.filter((s) => [...outputs, ...sinks].some((o) => o.includes(s)));
  say(
    `- Positive control: ${present.length} of ${planted.length} planted values found unmasked in the cluster where checks read them.`,
  );
  say(
    `- ${outputs.length} outputs (CLI run in 4 formats, every fix plan in text and JSON, API run, streamed fix plans, a report in 3 formats) and ${sinks.length} sinks (fix Events, the history, stored reports, metrics): **${found.length} of ${planted.length} planted values found**${found.length ? ` (${found.join(', ')})` : ''}; JSON fix plans that did not parse: ${jsonBroken}.`,
  );
  say();
}

async function hostile(base: string) {
  say('## Hostile requests against the server');
  say();
  const json = { 'content-type': 'application/json' };
  const fixPath = `/api/checks/${CHECKS.find((c) => c.fix)!.id}/fix`;
  const preview = (await (await post(base, fixPath, { dryRun: true })).json()) as { plan?: { fingerprint: string } };
  const cases: Array<[string, string, RequestInit]> = [
    ['malformed JSON', '/api/runs', { method: 'POST', headers: json, body: '{oops' }],
    [
      '10 MB body',
      '/api/runs',
      { method: 'POST', headers: json, body: JSON.stringify({ checks: ['x'.repeat(10 << 20)] }) },
    ],
    [
      '1,000 unknown check ids',
      '/api/runs',
      {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ checks: Array.from({ length: 1000 }, (_, i) => `nope-${i}`) }),
      },
    ],
    ['unknown check fix', '/api/checks/nope/fix', { method: 'POST', headers: json, body: '{"dryRun":true}' }],
    [
      'invalid namespace',
      '/api/runs',
      { method: 'POST', headers: json, body: JSON.stringify({ namespace: '<script>alert(1)</script>' }) },
    ],
    [
      'missing namespace, fix dry run',
      fixPath,
      { method: 'POST', headers: json, body: JSON.stringify({ dryRun: true, namespace: 'does-not-exist' }) },
    ],
    ['apply without a previewed plan', fixPath, { method: 'POST', headers: json, body: '{"dryRun":false}' }],
    [
      'apply with a stale fingerprint',
      fixPath,
      {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ dryRun: false, expectedFingerprint: `stale-${preview.plan?.fingerprint}` }),
      },
    ],
    [
      'Fix all without a confirmed preview',
      '/api/fix-all',
      { method: 'POST', headers: json, body: '{"dryRun":false}' },
    ],
    ['form post (not JSON)', '/api/runs', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }],
    [
      'foreign Origin',
      '/api/runs',
      { method: 'POST', headers: { ...json, origin: 'https://evil.example' }, body: '{}' },
    ],
    [
      'cross-site fetch',
      '/api/runs',
      { method: 'POST', headers: { ...json, 'sec-fetch-site': 'cross-site' }, body: '{}' },
    ],
    [
      'cross-site report delete',
      '/api/reports/abcdefabcdef',
      { method: 'DELETE', headers: { 'sec-fetch-site': 'cross-site' } },
    ],
    [
      'garbage forwarded token',
      '/api/runs',
      { method: 'POST', headers: { ...json, 'x-forwarded-access-token': 'garbage' }, body: '{}' },
    ],
    [
      'viewer deletes a report',
      '/api/reports/abcdefabcdef',
      { method: 'DELETE', headers: { 'x-forwarded-access-token': TOKENS.readonly.token } },
    ],
    ['bad report id', '/api/reports/..%2F..%2Fetc', { method: 'GET' }],
    ['unknown run id', '/api/runs/00000000-0000-4000-8000-000000000000', { method: 'GET' }],
    [
      'bad guard in a fix',
      fixPath,
      {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ dryRun: false, expectedGuards: [{ target: 'x', field: 'nope', value: 'x' }] }),
      },
    ],
  ];
  let x4 = 0;
  let x5 = 0;
  let biggest = 0;
  say('| request | status | response bytes |');
  say('|---|---|---|');
  for (const [name, p, init] of cases) {
    const res = await fetch(`${base}${p}`, init);
    const text = await res.text();
    biggest = Math.max(biggest, text.length);
    if (res.status >= 500) x5++;
    else if (res.status >= 400) x4++;
    say(`| ${name} | ${res.status} | ${text.length} |`);
  }
  // A foreign Host (DNS rebinding) cannot be sent through fetch: node:http sets it as given.
  const http = await import('node:http');
  const withHost = (method: string, p: string) =>
    new Promise<number>((resolve) => {
      const u = new URL(base);
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          path: p,
          method,
          headers: { host: 'evil.example', 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.end(method === 'POST' ? '{}' : undefined);
    });
  for (const [name, method, p] of [
    ['foreign Host (DNS rebinding), start a run', 'POST', '/api/runs'],
    ['foreign Host, read the history', 'GET', `/api/history?namespace=${NS}`],
    ['foreign Host, list reports', 'GET', '/api/reports'],
  ] as const) {
    const status = await withHost(method, p);
    if (status >= 500) x5++;
    else if (status >= 400) x4++;
    say(`| ${name} | ${status} | - |`);
  }
  say();
  say(
    `- ${cases.length + 3} hostile requests: **${x4} answered 4xx, ${x5} answered 5xx**; largest answer ${biggest} bytes.`,
  );
  say();
}

async function main() {
  say('# Reliability: what was tried and survived');
  say();
  say(
    `${new Date().toISOString()} · ${os.cpus().length} CPUs · ${ROUNDS} rounds per fault · \`npm run bench:reliability\` on the local control plane (Kubernetes v1.34.4, real nginx). Every cell is observed in this run.`,
  );
  say(
    'Each behaviour below also has a test in `npm test` (faults, causes, locks, dry-run, namespace-admin, watch, secret-corpus, cli integration tests; redact, nginx, monitor, autofix-limit, metrics, kubeconfig unit tests).',
  );
  say();
  await up();
  await seed('broken');
  await faults();
  const server = await startServer({ port: SERVER_PORT, namespace: NS, gatewayPort: PORT });
  if (!server) throw new Error('no production build: run npm run build first');
  try {
    await hostile(server.base);
    await hostileContent(server);
    await leaks(server.base);
  } finally {
    server.stop();
  }
  await watchFaults();
  fs.writeFileSync(path.join(REPO_ROOT, 'bench', 'RELIABILITY.md'), out.join('\n') + '\n');
  console.log('written to bench/RELIABILITY.md');
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

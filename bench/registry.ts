/**
 * bench/run.ts sections 8–10: what a user runs is the whole registry.
 *   8. every check against bench/baseline-registry.sh (the kubectl and curl commands for the same
 *      facts), whole process, at 0 and 25 ms per API request, with and without the probe pod, and
 *      the API requests of each;
 *   9. the requests of a run the watch triggers (fed from the watch's store) against a plain run;
 *  10. first-load JS per route of the production build, against the budget.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { CHECKS } from '../checks';
import { createDoctor } from '../lib/engine/factory';
import { KubeAccess } from '../lib/k8s/client';
import { RESOURCES } from '../lib/k8s/resources';
import { HistoryStore } from '../lib/watch/history';
import { NamespaceMonitor } from '../lib/watch/monitor';
import { entityStorePortFor, FILES, nimPortFor, REPO_ROOT, serviceOverrides, testPort } from '../test/cluster/paths';
import type { LatencyProxy } from './latency-proxy';
import { byRequestPath, f0, f2, median, podClock, row, timed, type Sample } from './measure';
import { startServer } from './server';

export interface RegistryBench {
  say(line?: string): void;
  kubectl: string;
  proxy: LatencyProxy;
  env: NodeJS.ProcessEnv;
  namespace: string;
  gatewayPort: number;
  runs: number;
  /** The PVC probe pod the baseline starts (the doctor's own command, the namespace's UID). */
  probePod(name: string): object;
  doctorCli(args: string[]): [string, string[]];
}

const PVC_CHECK = 'models-pvc-ownership';
const MODEL = 'meta/llama-3.2-1b-instruct';
/** The deployment path the flywheel asks the gateway for (gateway-deployment-mocks). */
const nimDeployment = (ns: string) => `${ns}/meta-llama-3.2-1b-instruct`;

/** Requests counted at the proxy: watch streams apart (they answer no question by themselves). */
const reads = (requests: string[]) => requests.filter((r) => !r.endsWith(' (watch)'));

export async function wholeRegistry(b: RegistryBench): Promise<void> {
  const { say, proxy } = b;
  say('## 8. The whole registry: every check vs the kubectl and curl commands for the same facts');
  say();
  say(
    `All ${CHECKS.length} checks (\`flywheel-doctor run\`) against \`bench/baseline-registry.sh\`: the lists, the access reviews, every HTTP answer and the crashing containers' logs a careful engineer would ask for, in parallel where a person would (see the script's notes on fairness). Both through the same latency proxy; HTTP answers come from loopback for both.`,
  );
  say();
  const all = CHECKS.map((c) => c.id);
  const doctorRun = (withProbe: boolean) =>
    b.doctorCli([
      'run',
      '--namespace',
      b.namespace,
      '--kubeconfig',
      proxy.kubeconfig,
      '--format',
      'json',
      ...all.filter((id) => withProbe || id !== PVC_CHECK).flatMap((id) => ['--check', id]),
    ]);
  // The logs the doctor reads are of the pods a person sees crashing in the first round's output.
  proxy.delayMs = 0;
  proxy.requests = [];
  await timed(...doctorRun(false), b.env);
  const logPods = proxy.requests
    .map((r) => /\/pods\/([^/]+)\/log \(container ([^)]+)\)/.exec(r))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => `${m[1]}/${m[2]}`);
  const storageClasses = proxy.requests
    .map((r) => /storageclasses\/([^/ ]+)$/.exec(r)?.[1])
    .filter((c): c is string => !!c);
  const o = serviceOverrides(b.gatewayPort);
  const baseline = (withProbe: boolean, i: number): [string, string[], NodeJS.ProcessEnv] => {
    const name = `bench-registry-probe-${process.pid}-${i}`;
    const file = path.join(os.tmpdir(), `${name}.json`);
    if (withProbe) fs.writeFileSync(file, JSON.stringify(b.probePod(name)));
    return [
      'bash',
      [path.join(REPO_ROOT, 'bench/baseline-registry.sh')],
      {
        ...b.env,
        KUBECTL: b.kubectl,
        KCFG: proxy.kubeconfig,
        NS: b.namespace,
        GW: o['nemo-gateway']!,
        ES: `http://127.0.0.1:${entityStorePortFor(b.gatewayPort)}`,
        NIM: `http://127.0.0.1:${nimPortFor(b.gatewayPort)}`,
        MODEL,
        NIM_DEPLOYMENT: nimDeployment(b.namespace),
        LOG_PODS: logPods.join(' '),
        STORAGE_CLASSES: storageClasses.join(' '),
        PROBE_FILE: withProbe ? file : '',
        PROBE_NAME: withProbe ? name : '',
      },
    ];
  };
  const counts: Record<string, { doctor: number[]; baseline: number[] }> = {};
  // A machine that sets NODE_EXTRA_CA_CERTS makes every Node process read that bundle as it starts
  // (kubectl and curl do not read it): the doctor is also timed without it, as most machines run it.
  const extraCa = b.env.NODE_EXTRA_CA_CERTS;
  const bareEnv = { ...b.env };
  delete bareEnv.NODE_EXTRA_CA_CERTS;
  if (extraCa) {
    const boot = async (env: NodeJS.ProcessEnv) => {
      const xs: number[] = [];
      for (let i = 0; i < b.runs; i++) xs.push((await timed(process.execPath, ['-e', '0'], env)).wallMs);
      return f0(median(xs));
    };
    say(
      `This machine sets NODE_EXTRA_CA_CERTS=${extraCa}: \`node -e 0\` takes ${await boot(b.env)} ms with it and ${await boot(bareEnv)} ms without. The rows "without NODE_EXTRA_CA_CERTS" time the same doctor run without the probe pod as a machine without it runs it (with the probe pod, the pod's own run time would hide the difference); the ratios above them are this machine's.`,
    );
    say();
  }
  // The probe pod's own run time is the same for both and varies run to run: also shown without it.
  const clock = podClock(new KubeAccess({ kubeconfig: FILES.adminKubeconfig }).app(), b.namespace);
  for (const delay of [0, 25]) {
    proxy.delayMs = delay;
    say(`### ${delay} ms added per API request`);
    say();
    say('| | wall | CPU | peak RSS | API requests |');
    say('|---|---|---|---|---|');
    for (const withProbe of [false, true]) {
      const label = withProbe ? 'with the probe pod' : 'without the probe pod';
      const key = `${label}`;
      counts[key] ??= { doctor: [], baseline: [] };
      const base: Sample[] = [];
      const doc: Sample[] = [];
      const docBare: Sample[] = [];
      for (let i = 0; i < b.runs; i++) {
        const runDoctor = async () => {
          proxy.requests = [];
          doc.push(await timed(...doctorRun(withProbe), b.env));
          counts[key]!.doctor.push(reads(proxy.requests).length);
          if (extraCa && !withProbe) docBare.push(await timed(...doctorRun(withProbe), bareEnv));
        };
        // Alternate the order so neither side always runs on a warmer cache.
        if (i % 2) await runDoctor();
        proxy.requests = [];
        const [cmd, args, env] = baseline(withProbe, i);
        base.push(await timed(cmd, args, env));
        counts[key]!.baseline.push(reads(proxy.requests).length);
        if (!(i % 2)) await runDoctor();
      }
      const n = (xs: number[]) => f0(median(xs));
      say(`${row(`kubectl + curl baseline, ${label}`, base)} ${n(counts[key]!.baseline)} |`);
      say(`${row(`flywheel-doctor run, all ${CHECKS.length} checks, ${label}`, doc)} ${n(counts[key]!.doctor)} |`);
      const ratio = median(base.map((x) => x.wallMs)) / median(doc.map((x) => x.wallMs));
      say(`| **doctor is ${f2(ratio)}× the speed of the baseline** (wall, ratio of medians) | | | | |`);
      if (docBare.length) {
        say(
          `${row(`flywheel-doctor run, ${label}, without NODE_EXTRA_CA_CERTS`, docBare)} ${n(counts[key]!.doctor)} |`,
        );
        const bare = median(base.map((x) => x.wallMs)) / median(docBare.map((x) => x.wallMs));
        say(`| **without NODE_EXTRA_CA_CERTS: ${f2(bare)}×** | | | | |`);
      }
      if (withProbe) {
        const own = (xs: Sample[]) => median(xs.map((x) => x.wallMs - clock.during(x)));
        const podMs = median([...base, ...doc].map((x) => clock.during(x)));
        say(
          `| without the probe pod's own run time (median ${f0(podMs)} ms): baseline ${f0(own(base))} ms, doctor ${f0(own(doc))} ms: **${f2(own(base) / own(doc))}×** | | | | |`,
        );
      }
    }
    say();
  }
  clock.stop();
  proxy.delayMs = 0;
  // One doctor run answers both what it asked and over which HTTP version.
  proxy.requests = [];
  await timed(...doctorRun(true), b.env);
  const doctorReads = reads(proxy.requests);
  const versions = (p: Record<string, number>) =>
    Object.entries(p)
      .map(([v, n]) => `HTTP/${v} × ${n}`)
      .join(', ');
  const doctorVersions = versions(proxy.protocols);
  proxy.requests = [];
  await timed(...baseline(true, b.runs));
  say(
    `The proxy offers HTTP/2 and HTTP/1.1, as the kube-apiserver does; requests by the version each client chose: baseline ${versions(proxy.protocols)}; doctor ${doctorVersions}.`,
  );
  say();
  say(`The doctor's API requests for every check, with the probe pod (${doctorReads.length}):`);
  say();
  for (const [p, n] of byRequestPath(doctorReads)) say(`- ${n} × \`${p}\``);
  say();
}

/** 9: a run the watch triggers reads what the watch holds from its store; only the rest is asked. */
export async function watchTriggeredRun(b: RegistryBench): Promise<void> {
  const { say, proxy } = b;
  say('## 9. A run the watch triggers: API requests');
  say();
  proxy.delayMs = 0;
  const admin = new KubeAccess({ kubeconfig: FILES.adminKubeconfig }).app();
  const appNs = `${b.namespace}-watch-app`;
  await admin
    .create(RESOURCES.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: appNs } })
    .catch(() => undefined);
  const trigger = 'bench-watch-trigger';
  const doctor = createDoctor({
    registry: CHECKS,
    namespace: b.namespace,
    kubeconfig: proxy.kubeconfig,
    config: { serviceUrlOverrides: serviceOverrides(b.gatewayPort) },
  });
  const monitor = new NamespaceMonitor({
    doctor,
    history: new HistoryStore(admin, appNs, b.namespace),
    debounceMs: 200,
  });
  // The checks of each run the watch starts: the measured window must hold one run, of the
  // ConfigMap's checks alone. A burst that also holds another change (a crash-looping pod
  // restarting) runs more checks, and is measured again with a new ConfigMap.
  const runs: Array<string[] | undefined> = [];
  const run = doctor.run.bind(doctor);
  doctor.run = (only, ...rest) => (runs.push(only), run(only, ...rest));
  const ran = CHECKS.filter((c) => !c.runsPods && c.needs.includes('configmaps'));
  const nsPath = `GET /api/v1/namespaces/${b.namespace}`;
  const alone = () => runs.length === 1 && String(runs[0]) === String(ran.map((c) => c.id));
  let mixed = 0;
  let attempt = 0;
  try {
    await monitor.start();
    for (; ; attempt++) {
      proxy.requests = [];
      runs.length = 0;
      // A change to a kind most checks read (a ConfigMap of our own, so nothing else changes).
      await admin.create(RESOURCES.configmaps, b.namespace, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: `${trigger}-${attempt}` },
        data: { at: new Date().toISOString() },
      });
      // Every run reads the namespace first: once it has, the run is the monitor's current work.
      for (let i = 0; i < 200 && !proxy.requests.includes(nsPath); i++) await new Promise((r) => setTimeout(r, 50));
      await monitor.idle();
      if (alone() || attempt === 4) break;
      mixed++;
    }
    const measuredAlone = alone(); // before the request-run below, which the wrapper also sees
    const triggered = reads(proxy.requests);
    const lists = triggered.filter((r) => /^GET \S+\/[a-z]+$/.test(r) && !r.startsWith(nsPath));
    const held = new Set(
      CHECKS.flatMap((c) => c.needs)
        .filter((k) => RESOURCES[k].namespaced && k !== 'events')
        .map((k) => RESOURCES[k].plural),
    );
    const heldListed = lists.filter((r) => held.has(r.split('/').pop()!));
    proxy.requests = [];
    await doctor.run(ran.map((c) => c.id));
    const plain = reads(proxy.requests);
    say(
      `- The ${ran.length} checks that read ConfigMaps, run by the watch after a ConfigMap change: **${triggered.length} requests**, of which ${lists.length} lists (${lists.map((r) => r.split('/').pop()).join(', ') || 'none'}); **lists of kinds the watch holds: ${heldListed.length}**.`,
    );
    say(`- The same checks run by a request (no store): ${plain.length} requests.`);
    if (!measuredAlone)
      say(
        `- Each of ${attempt + 1} changes shared its burst with another change in the namespace (a pod restarting): the figures above include the other checks the watch ran.`,
      );
    else if (mixed)
      say(
        `- ${mixed} earlier change${mixed > 1 ? 's' : ''} of ${attempt + 1} shared a burst with another change in the namespace (a pod restarting), so the watch ran more checks: measured again.`,
      );
    const other = triggered.filter((r) => !lists.includes(r));
    const asked = byRequestPath(other).map(([k, n]) => `${n} × \`${k}\``);
    say(`- What the triggered run still asks: ${asked.join(', ')}.`);
  } finally {
    monitor.stop();
    for (let i = 0; i <= attempt; i++)
      await admin.delete(RESOURCES.configmaps, b.namespace, `${trigger}-${i}`).catch(() => undefined);
  }
  say();
}

/** The scripts an HTML page loads first, gzipped (what the browser downloads before it can run). */
function firstLoadKiB(html: string): { scripts: number; kib: number } {
  const srcs = [...new Set([...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!))];
  let gz = 0;
  for (const src of srcs) {
    const file = path.join(REPO_ROOT, '.next', src.replace(/^\/_next\//, '').split('?')[0]!);
    gz += zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
  }
  return { scripts: srcs.length, kib: gz / 1024 };
}

/** 10: first-load JS of each page route, from the HTML the production server sends. */
export async function firstLoadPerRoute(b: RegistryBench): Promise<void> {
  const { say } = b;
  say('## 10. First-load JS per route (gzipped, from the HTML the production server sends)');
  say();
  const budget = Number(process.env.FD_JS_BUDGET_KB ?? 200);
  const server = await startServer({ port: testPort(83), namespace: b.namespace, gatewayPort: b.gatewayPort });
  if (!server) {
    say('- skipped: no production build (run `npm run build` first).');
    return;
  }
  try {
    // A report to open: the report page's own chunks are loaded only for an existing one.
    const run = (await (
      await fetch(`${server.base}/api/runs`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ wait: true, checks: ['flywheel-config'] }),
      })
    ).json()) as { run: { id: string } };
    const shared = (await (
      await fetch(`${server.base}/api/reports`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ runId: run.run.id }),
      })
    ).json()) as { url?: string };
    const routes: Array<[string, string]> = [
      ['/ (dashboard)', '/'],
      ['/checks/[id]', '/checks/pod-health'],
      ['/compare', '/compare'],
      ['/reports/[id]', shared.url ?? '/reports/000000000000'],
    ];
    say(`| route | scripts | first-load JS | of the ${budget} kB budget |`);
    say('|---|---|---|---|');
    for (const [name, url] of routes) {
      const html = await (await fetch(`${server.base}${url}`)).text();
      const { scripts, kib } = firstLoadKiB(html);
      say(`| \`${name}\` | ${scripts} | ${kib.toFixed(1)} kB | ${f0((kib / budget) * 100)} % |`);
    }
    say();
    say(
      'Loaded on demand, in none of these: the Fix dialog, Fix all, the share panel, the history and the jobs panels.',
    );
  } finally {
    server.stop();
  }
  say();
}

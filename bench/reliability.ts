/**
 * npm run bench:reliability: the hostile probe as a campaign on the local control plane, with its
 * figures written to bench/RELIABILITY.md. Faults (the API server stopped or killed, the CLI killed,
 * mid-run and mid-fix), planted secrets searched for in every output, and hostile requests against
 * the production server. Only processes this script started are killed (by PID); the API server is
 * continued or restarted by the cluster script. Figures, not pass/fail.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHECKS } from '../checks';
import { restartPatch } from '../lib/engine/plan-helpers';
import { createDoctor } from '../lib/engine/factory';
import type { KObject } from '../lib/k8s/object';
import { RESOURCES } from '../lib/k8s/resources';
import { waitForRollout } from '../lib/k8s/wait';
import { up } from '../test/cluster/cluster';
import { FILES, REPO_ROOT, testPort, TOKENS, serviceOverrides, serviceOverridesEnv } from '../test/cluster/paths';
import { killCliWhen } from '../test/cluster/cli-process';
import { plantSecrets } from '../test/cluster/plant-secrets';
import { seedScenario } from '../test/cluster/seed';
import { startServer } from './server';

const ROUNDS = Number(process.env.RELIABILITY_ROUNDS ?? 3);
const NS = 'reliability';
const PORT = testPort(83);
const out: string[] = [];
const say = (l = '') => {
  console.log(l);
  out.push(l);
};
const apiPid = () => Number(fs.readFileSync(path.join(FILES.pids, 'kube-apiserver.pid'), 'utf8'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const doctor = () =>
  createDoctor({
    registry: CHECKS,
    kubeconfig: FILES.adminKubeconfig,
    namespace: NS,
    config: { serviceUrlOverrides: serviceOverrides(PORT) },
    env: {},
  });
const admin = () => doctor().access.app();
const ourPods = async () =>
  (await admin().list<KObject>(RESOURCES.pods, NS, { query: { labelSelector: 'flywheel-doctor.dev/role' } })).items
    .length;

/** Restart the gateway onto its ConfigMap without the mock, so the gateway check fails again. */
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

/** After a fault: does the next plan finish the job (verified pass), or is something left half-done? */
async function finishes(id: string): Promise<boolean> {
  const o = await doctor().fix(id, { dryRun: false });
  return 'verified' in o && o.verified.status === 'pass';
}

async function faults() {
  say('## Faults');
  say();
  say('| fault | injected | pods of ours left | half-applied fixes left | next plan finished the job |');
  say('|---|---|---|---|---|');
  // 1. API server stopped (SIGSTOP 2 s) while the PVC probe pod runs.
  let left = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const run = doctor().run(['models-pvc-ownership']);
    for (let j = 0; j < 100 && (await ourPods()) === 0; j++) await sleep(30);
    process.kill(apiPid(), 'SIGSTOP');
    await sleep(2000);
    process.kill(apiPid(), 'SIGCONT');
    await run;
    await doctor().run(['models-pvc-ownership']);
    await sleep(1000);
    left += await ourPods();
  }
  say(`| API server stopped 2 s mid-probe | ${ROUNDS} | ${left} | n/a | n/a |`);
  // 2. The CLI killed right after the gateway ConfigMap patch.
  let half = 0;
  let finished = 0;
  for (let i = 0; i < ROUNDS; i++) {
    await breakGateway();
    await killCliWhen(
      ['fix', 'gateway-models', '--yes', '-n', NS, '--kubeconfig', FILES.adminKubeconfig],
      { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) },
      /updated ConfigMap/,
    );
    if (await finishes('gateway-models')) finished++;
    else half++;
  }
  say(
    `| CLI killed after the gateway ConfigMap patch | ${ROUNDS} | ${await ourPods()} | ${half} | ${finished} of ${ROUNDS} |`,
  );
  // 3. The API server killed (SIGKILL) right after the ConfigMap patch, then restarted.
  half = 0;
  finished = 0;
  for (let i = 0; i < ROUNDS; i++) {
    await breakGateway();
    await doctor()
      .fix('gateway-models', {
        dryRun: false,
        onProgress: (s) => /updated ConfigMap/.test(s) && process.kill(apiPid(), 'SIGKILL'),
      })
      .catch(() => undefined);
    await up();
    if (await finishes('gateway-models')) finished++;
    else half++;
  }
  say(
    `| API server killed after the gateway ConfigMap patch, restarted | ${ROUNDS} | ${await ourPods()} | ${half} | ${finished} of ${ROUNDS} |`,
  );
  // 4. Two fixes of the same check at once.
  let both = 0;
  for (let i = 0; i < ROUNDS; i++) {
    await breakGateway();
    const r = await Promise.allSettled([
      doctor().fix('gateway-models', { dryRun: false }),
      doctor().fix('gateway-models', { dryRun: false }),
    ]);
    if (r.filter((x) => x.status === 'fulfilled' && x.value.outcome === 'applied').length !== 1) both++;
  }
  say(
    `| two fixes of one check at once | ${ROUNDS} | ${await ourPods()} | ${both} (runs where not exactly one applied) | lock: the other got 409 |`,
  );
  say();
}

async function leaks(base: string) {
  say('## Leaks (planted secrets searched for in every output)');
  say();
  const planted = await plantSecrets(admin(), NS, 'ZZREL');
  const outputs: string[] = [];
  const env = { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) };
  const cli = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'), ...args, '-n', NS, '--kubeconfig', FILES.adminKubeconfig],
      { encoding: 'utf8', env },
    ).stdout;
  for (const format of ['text', 'json', 'markdown', 'junit']) outputs.push(cli('run', '--format', format));
  for (const c of CHECKS.filter((x) => x.fix))
    for (const format of ['text', 'json']) outputs.push(cli('fix', c.id, '--dry-run', '--format', format));
  const post = async (p: string, body: unknown) =>
    (
      await fetch(`${base}${p}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    ).text();
  const runText = await post('/api/runs', { wait: true, namespace: NS });
  outputs.push(runText);
  for (const c of CHECKS.filter((x) => x.fix))
    outputs.push(await post(`/api/checks/${c.id}/fix`, { dryRun: true, namespace: NS, stream: true }));
  const shared = JSON.parse(
    await post('/api/reports', { runId: (JSON.parse(runText) as { run: { id: string } }).run.id, namespace: NS }),
  ) as { id: string };
  for (const f of ['md', 'json', 'html'])
    outputs.push(await (await fetch(`${base}/api/reports/${shared.id}/download?format=${f}`)).text());
  const found = planted.filter((s) => outputs.some((o) => o.includes(s)));
  say(
    `- ${outputs.length} outputs (CLI run in 4 formats, every fix plan in text and JSON, API run, streamed fix plans, a report in 3 formats), ${planted.length} planted values: **${found.length} leaked**${found.length ? ` (${found.join(', ')})` : ''}.`,
  );
  say();
}

async function hostile(base: string) {
  say('## Hostile requests against the server');
  say();
  const json = { 'content-type': 'application/json' };
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
      `/api/checks/${CHECKS[0]!.id}/fix`,
      { method: 'POST', headers: json, body: JSON.stringify({ dryRun: true, namespace: 'does-not-exist' }) },
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
      `/api/checks/${CHECKS[0]!.id}/fix`,
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
  const hostStatus = await new Promise<number>((resolve) => {
    const u = new URL(base);
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: '/api/runs',
        method: 'POST',
        headers: { host: 'evil.example', 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.end('{}');
  });
  if (hostStatus >= 500) x5++;
  else if (hostStatus >= 400) x4++;
  say(`| foreign Host (DNS rebinding) | ${hostStatus} | - |`);
  say();
  say(
    `- ${cases.length + 1} hostile requests: **${x4} answered 4xx, ${x5} answered 5xx**; largest answer ${biggest} bytes (input is never echoed unbounded).`,
  );
  say();
}

async function main() {
  say('# Reliability: what was tried and survived');
  say();
  say(
    `${new Date().toISOString()} · ${os.cpus().length} CPUs · ${ROUNDS} rounds per fault · \`npm run bench:reliability\` on the local control plane (Kubernetes v1.34.4, real nginx).`,
  );
  say(
    'Each behaviour below also has a test in `npm test` (test/integration/faults.test.ts, secret-corpus.test.ts, app/api/_lib/server.test.ts, lib/report/redact.test.ts).',
  );
  say();
  await up();
  await seedScenario({ scenario: 'broken', namespace: NS, gatewayPort: PORT, log: () => undefined });
  await faults();
  const server = await startServer({ port: testPort(84), namespace: NS, gatewayPort: PORT });
  if (!server) throw new Error('no production build: run npm run build first');
  const { base } = server;
  try {
    await hostile(base);
    await leaks(base);
  } finally {
    server.stop();
  }
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

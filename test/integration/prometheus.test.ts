/**
 * A real Prometheus (Debian's package) scraping the production server's /api/metrics with the
 * PrometheusRule's groups loaded: the watch (on by default in deploy/, set here as there) fills the
 * metrics with its first run, without any request; a redeploy-style change made through the
 * Kubernetes API turns the evaluator alert pending. Everything listens on 127.0.0.1; the test ends
 * only the two processes it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import { FILES, REPO_ROOT, testPort, serviceOverridesEnv } from '../cluster/paths';
import { access, seed } from './helpers';

const NS = 'it-prom';
const GATEWAY = testPort(90);
const APP = testPort(91);
const PROM = testPort(92);
const admin = access('admin').app();
const started: ChildProcess[] = [];
let dir = '';

function start(cmd: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out = (out + d).slice(-4000)));
  p.stderr!.on('data', (d: Buffer) => (out = (out + d).slice(-4000)));
  p.on('exit', (code) => code && console.error(`${cmd} exited ${code}:\n${out}`));
  started.push(p);
  return p;
}

/** Waits on a condition (never on time alone): polls until fn returns a value. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const promQuery = async (q: string) => {
  const r = (await (await fetch(`http://127.0.0.1:${PROM}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as {
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  return r.data.result;
};
const alerts = async () =>
  (
    (await (await fetch(`http://127.0.0.1:${PROM}/api/v1/alerts`)).json()) as {
      data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
    }
  ).data.alerts;

beforeAll(async () => {
  await seed(NS, 'healthy', GATEWAY);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-prom-'));
  const rule = parse(fs.readFileSync(path.join(REPO_ROOT, 'deploy/openshift/monitoring/prometheusrule.yaml'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'rules.yaml'), JSON.stringify(rule.spec));
  // What the ServiceMonitor asks for (path, port through the proxy aside), every second.
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [path.join(dir, 'rules.yaml')],
      scrape_configs: [
        {
          job_name: 'flywheel-doctor',
          metrics_path: '/api/metrics',
          static_configs: [{ targets: [`127.0.0.1:${APP}`] }],
        },
      ],
    }),
  );
  const deployment = parse(fs.readFileSync(path.join(REPO_ROOT, 'deploy/base/deployment.yaml'), 'utf8'));
  const watch = deployment.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === 'FD_WATCH');
  start('node', ['--optimize-for-size', path.join(REPO_ROOT, '.next/standalone/server.js')], {
    ...process.env,
    HOSTNAME: '127.0.0.1',
    PORT: String(APP),
    KUBECONFIG: FILES.adminKubeconfig,
    FD_NAMESPACE: NS,
    FD_REPORT_NAMESPACE: NS,
    FD_WATCH: watch.value, // as deployed: "default", the configured namespace
    FD_WATCH_SCHEDULE_SECONDS: '0',
    FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(GATEWAY),
  });
  start(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${PROM}`,
    ],
    process.env,
  );
});

afterAll(async () => {
  for (const p of started) if (p.exitCode === null) p.kill('SIGTERM');
  await Promise.all(started.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('real Prometheus with the PrometheusRule', () => {
  it('scrapes every check from the watch’s first run, before anyone asks for a run', async () => {
    const statuses = await until('a status for every check in Prometheus', async () => {
      const r = await promQuery(`flywheel_doctor_check_status{namespace="${NS}"} == 1`);
      return r.length === CHECKS.length ? r : undefined;
    });
    expect(new Set(statuses.map((s) => s.metric.check))).toEqual(new Set(CHECKS.map((c) => c.id)));
    expect(statuses.find((s) => s.metric.check === 'evaluator-entity-store-url')!.metric.status).toBe('pass');
    const watching = await promQuery(`flywheel_doctor_watch_started_timestamp_seconds{namespace="${NS}"}`);
    expect(watching).toHaveLength(1);
    // The "not running" rule has its input, and does not fire on a doctor that just succeeded.
    expect((await alerts()).filter((a) => a.labels.alertname === 'FlywheelDoctorNotRunning')).toEqual([]);
  });

  it('a redeploy that resets ENTITY_STORE_URL makes the evaluator alert pending', async () => {
    await admin.request(
      'PATCH',
      `/apis/apps.nvidia.com/v1alpha1/namespaces/${NS}/nemoevaluators/nemoevaluator-sample`,
      {
        contentType: 'application/merge-patch+json',
        body: { spec: { env: [{ name: 'NIM_PROXY_URL', value: 'http://meta-llama3-1b-instruct:8000' }] } },
        query: { fieldManager: 'helm' },
      },
    );
    const alert = await until('the evaluator alert', async () =>
      (await alerts()).find(
        (a) => a.labels.alertname === 'FlywheelEvaluatorEntityStoreUrlFailing' && a.labels.namespace === NS,
      ),
    );
    // `for: 5m`: pending now, firing after five minutes of failing (promtool's unit tests cover that).
    expect(alert.state).toBe('pending');
    expect(alert.labels).toMatchObject({ check: 'evaluator-entity-store-url', status: 'fail', severity: 'warning' });
  });
});

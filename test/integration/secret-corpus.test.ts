/**
 * Secrets never leave: fake credentials are planted everywhere cluster text comes from (env values,
 * a URL's user:password, a namespace annotation, the gateway's nginx.conf, a container log), and
 * every output is searched for them: the CLI in every format (runs, plans, fixes), the API routes
 * (runs, fix plans, streamed progress, reports and their downloads) and the server's error log; and
 * what the doctor writes to the cluster: the watch's history, fix Events, stored reports, and the
 * metrics. A positive control first shows every planted value is really there, unmasked, where the
 * checks and the watch read it, so "not found in the output" can fail.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHECKS } from '../../checks';
import { REPO_ROOT, testPort, serviceOverridesEnv } from '../cluster/paths';
import { plantSecrets } from '../cluster/plant-secrets';
import { access, callRoute, doctorFor, KUBECONFIGS, seed } from './helpers';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { metrics } from '../../lib/metrics';
import { HistoryStore, type HistoryEntry } from '../../lib/watch/history';
import { NamespaceMonitor } from '../../lib/watch/monitor';

const NS = 'it-secret-corpus';
const PORT = testPort(54);
/** Filled by plantSecrets: ZZCORPUS01..15 (one as basic credentials) and the seeded FDSEEDSECRET. */
let PLANTED: string[] = [];
const leaks = (text: string) => PLANTED.filter((s) => text.includes(s));

const env = {
  ...process.env,
  FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT),
  FD_KUBECONFIG: KUBECONFIGS.admin,
  FD_NAMESPACE: NS,
  HOSTNAME: '127.0.0.1',
};
const cli = (args: string[]) =>
  spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'), ...args, '--namespace', NS, '--kubeconfig', KUBECONFIGS.admin],
    {
      encoding: 'utf8',
      env,
    },
  );

describe('planted secrets never reach an output', () => {
  const logged: string[] = [];
  beforeAll(async () => {
    await seed(NS, 'broken', PORT);
    PLANTED = await plantSecrets(access('admin').app(), NS, 'ZZCORPUS');
    Object.assign(process.env, {
      FD_KUBECONFIG: env.FD_KUBECONFIG,
      FD_NAMESPACE: NS,
      FD_REPORT_NAMESPACE: NS, // not the default app namespace, which this test did not create
      FD_SERVICE_URL_OVERRIDES: env.FD_SERVICE_URL_OVERRIDES,
      HOSTNAME: '127.0.0.1',
    });
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args.join(' ')));
  });
  afterAll(() => vi.restoreAllMocks());

  it.each(['text', 'json', 'markdown', 'junit'])('CLI run --format %s', (format) => {
    const r = cli(['run', '--format', format]);
    expect(r.stdout.length).toBeGreaterThan(100);
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
  });

  it.each(
    CHECKS.filter((c) => c.fix).flatMap((c) => [
      [c.id, 'text'],
      [c.id, 'json'],
    ]),
  )('CLI fix %s --dry-run --format %s', (id, format) => {
    const r = cli(['fix', id, '--dry-run', '--format', format]);
    expect(r.stdout.length + r.stderr.length).toBeGreaterThan(10);
    expect(leaks(r.stdout + r.stderr)).toEqual([]);
  });

  it('the API: runs, every fix plan (plain and streamed), a shared report and its downloads', async () => {
    const call = callRoute;
    const runs = await import('../../app/api/runs/route');
    const fix = await import('../../app/api/checks/[id]/fix/route');
    const reports = await import('../../app/api/reports/route');
    const report = await import('../../app/api/reports/[id]/route');
    const download = await import('../../app/api/reports/[id]/download/route');
    const outputs: string[] = [];
    const runText = await call(runs.POST, '/api/runs', { wait: true, namespace: NS });
    outputs.push(runText);
    const runId = (JSON.parse(runText) as { run: { id: string } }).run.id;
    for (const c of CHECKS.filter((x) => x.fix)) {
      outputs.push(await call(fix.POST, `/api/checks/${c.id}/fix`, { dryRun: true, namespace: NS }, { id: c.id }));
      outputs.push(
        await call(fix.POST, `/api/checks/${c.id}/fix`, { dryRun: true, namespace: NS, stream: true }, { id: c.id }),
      );
    }
    const shared = await call(reports.POST, '/api/reports', { runId, namespace: NS });
    outputs.push(shared);
    const id = (JSON.parse(shared) as { id: string }).id;
    outputs.push(await call(report.GET, `/api/reports/${id}`, undefined, { id }));
    for (const format of ['md', 'json', 'html'])
      outputs.push(await call(download.GET, `/api/reports/${id}/download?format=${format}`, undefined, { id }));
    expect(outputs.join('\n').length).toBeGreaterThan(1000);
    expect(leaks(outputs.join('\n'))).toEqual([]);
    expect(leaks(logged.join('\n'))).toEqual([]);
  });

  it('positive control: every planted value is in the cluster, unmasked, where a check or the watch reads it', async () => {
    const admin = access('admin').app();
    const sources = [
      JSON.stringify(await admin.get(RESOURCES.nemoevaluators, NS, 'nemoevaluator-sample')),
      JSON.stringify(await admin.get(RESOURCES.namespaces, undefined, NS)),
      JSON.stringify(await admin.get(RESOURCES.configmaps, NS, 'nemo-gateway-config')),
    ];
    const pods = await admin.list<KObject>(RESOURCES.pods, NS);
    for (const p of pods.items)
      for (const previous of [false, true])
        sources.push(
          await admin
            .request<string>('GET', `/api/v1/namespaces/${NS}/pods/${p.metadata!.name}/log`, {
              text: true,
              query: { previous },
            })
            .catch(() => ''),
        );
    const text = sources.join('\n');
    expect(PLANTED.filter((v) => !text.includes(v))).toEqual([]);
  });

  it('the cluster sinks: the history of a change carrying credentials, fix Events, stored reports, metrics', async () => {
    const admin = access('admin').app();
    const entries: HistoryEntry[] = [];
    const monitor = new NamespaceMonitor({
      doctor: doctorFor(NS, PORT),
      history: new HistoryStore(admin, NS, NS),
      debounceMs: 300,
      onEntry: (e) => entries.push(e),
    });
    await monitor.start();
    try {
      // A redeploy that fixes NIM_PROXY_URL (a status change, so the watch records it) and writes
      // credentials into the CR's env: the whole env list (DB_PASS, a URL with user:password, a
      // token) is diffed into the history.
      await admin.jsonPatch(RESOURCES.nemoevaluators, NS, 'nemoevaluator-sample', [
        {
          op: 'add',
          path: '/spec/env/-',
          value: { name: 'NIM_PROXY_URL', value: 'http://meta-llama3-1b-instruct:8000' },
        },
        { op: 'add', path: '/spec/env/-', value: { name: 'API_TOKEN', value: `${PLANTED[0]}-again` } },
        // The issue's example: a password env pair, and a URL longer than the history's cut whose
        // credentials are recognised only before it is cut.
        { op: 'add', path: '/spec/env/-', value: { name: 'EVALUATOR_DB_PASSWORD', value: `${PLANTED[1]}-env` } },
        {
          op: 'add',
          path: '/spec/env/-',
          value: { name: 'ARCHIVE_URL', value: `mongodb://u:${PLANTED[2]}-long@${'h'.repeat(240)}:27017` },
        },
      ]);
      const deadline = Date.now() + 30_000;
      while (!entries.some((e) => e.trigger?.kind === 'NemoEvaluator')) {
        if (Date.now() > deadline) throw new Error('no history entry for the CR change');
        await new Promise((r) => setTimeout(r, 200));
      }
      // Named by the CR change whether the operator's re-render came in the same burst or its own.
      const named = entries.find((e) => e.trigger?.kind === 'NemoEvaluator')!.trigger!;
      console.log(`[history] entry named ${named.kind} ${named.name}${named.then ? `, then ${named.then.kind}` : ''}`);
    } finally {
      monitor.stop();
      await monitor.idle();
    }
    // As a `view` user would read it (kubectl get cm): refused on Secrets, allowed on ConfigMaps.
    const history = await access('readonly')
      .app()
      .get<KObject>(RESOURCES.configmaps, NS, `flywheel-doctor-history-${NS}`);
    const historyText = JSON.stringify(history);
    // The change is recorded (its path and masked values), and nothing planted is readable in it.
    expect(historyText).toContain('spec.env');
    expect(historyText).toContain('***');
    expect(leaks(historyText)).toEqual([]);

    // Every fix the registry offers, applied: each leaves an Event.
    const doctor = doctorFor(NS, PORT);
    for (const c of CHECKS.filter((x) => x.fix)) {
      const preview = await doctor.fix(c.id, { dryRun: true }).catch(() => undefined);
      if (preview && preview.plan.changes.length)
        await doctor.fix(c.id, { dryRun: false, expectedGuards: preview.plan.guards }).catch(() => undefined);
    }
    const events = await admin.list<KObject>(RESOURCES.events, NS);
    const ours = events.items.filter((e) => (e as { reason?: string }).reason === 'FlywheelDoctorFix');
    expect(ours.length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(ours))).toEqual([]);

    // Wherever the API stored them (the report namespace), as the ConfigMaps hold them.
    const reports = (
      await admin.request<{ items: KObject[] }>('GET', '/api/v1/configmaps', {
        query: { labelSelector: 'flywheel-doctor.dev/report=true' },
      })
    ).items;
    expect(reports.length).toBeGreaterThan(0);
    expect(leaks(JSON.stringify(reports))).toEqual([]);
    expect(leaks(await metrics.registry.metrics())).toEqual([]);
  });
});

/**
 * Hostile bytes planted where cluster text comes from (a crash-looping container's log with colour
 * codes and C0 controls, an env value on the evaluator CR, a namespace annotation, the df-config
 * text), then every output format of the CLI and of a shared report judged by the programs that read
 * them (test/consumers.ts): xmllint and the Jenkins JUnit schema, junitparser, cmark-gfm and
 * markdown-it, html-validate, the published JSON schema. A positive control shows the bytes reached
 * the outputs (the JSON carries them escaped), so "accepted" cannot pass on an output without them.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { RunReportSchema } from '../../lib/report/json-schema';
import { LOCAL_NODE, REPO_ROOT, testPort, serviceOverridesEnv } from '../cluster/paths';
import {
  activeElements,
  CONTROL,
  htmlFindings,
  junitparserRead,
  renderedMarkdown,
  xmllintFindings,
} from '../consumers';
import { access, callRoute, KUBECONFIGS, seed } from './helpers';

const NS = 'it-hostile';
const PORT = testPort(96);
const admin = access('admin').app();
/** What the crash-looping container prints: colours, C0 controls, NUL, DEL, invalid UTF-8, markup. */
const LOG = String.raw`printf '\033[31mERROR\033[0m celery: \033[1;33mpidfile\033[0m bell\007 nul\000 del\177 bad\377utf8 ]]> <script>x</script> [l](javascript:x) | cell\n'; exit 1`;
const HOSTILE = '\u001b[31mred\u001b[0m \u0007 \u202eevil <b>x</b> ]]> `tick` | pipe [l](javascript:alert(1))';

const cli = (format: string) =>
  spawnSync(
    process.execPath,
    [
      path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'),
      'run',
      '--format',
      format,
      '--namespace',
      NS,
      '--kubeconfig',
      KUBECONFIGS.admin,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT) },
      maxBuffer: 64 << 20,
    },
  );

beforeAll(async () => {
  await seed(NS, 'broken', PORT);
  await admin.create(RESOURCES.deployments, NS, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'df-hostile-worker', namespace: NS },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'df-hostile-worker' } },
      template: {
        metadata: { labels: { app: 'df-hostile-worker' }, annotations: { 'sim.flywheel-doctor.dev/exec': 'true' } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': LOCAL_NODE },
          containers: [{ name: 'worker', image: 'busybox', command: ['sh', '-c', LOG] }],
        },
      },
    },
  });
  await admin.jsonPatch(RESOURCES.nemoevaluators, NS, 'nemoevaluator-sample', [
    { op: 'add', path: '/spec/env/-', value: { name: 'NIM_PROXY_URL', value: `http://${HOSTILE}:80` } },
  ]);
  await admin.request('PATCH', `/api/v1/namespaces/${NS}`, {
    contentType: 'application/merge-patch+json',
    body: { metadata: { annotations: { 'openshift.io/sa.scc.uid-range': HOSTILE } } },
  });
  const df = await admin.get<KObject>(RESOURCES.configmaps, NS, 'df-config');
  await admin.jsonPatch(RESOURCES.configmaps, NS, 'df-config', [
    {
      op: 'replace',
      path: '/data/config.yaml',
      value: `${df.data['config.yaml']}\n# ${HOSTILE}\n`.replace(
        'model_name: "meta/llama-3.2-1b-instruct"',
        `model_name: "meta/llama-3.2-1b-instruct"\n  - model_name: ${JSON.stringify(HOSTILE)}`,
      ),
    },
  ]);
  // The crash loop has produced its log (the pod-health check quotes it) before the outputs are made.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const pods = await admin.list<KObject>(RESOURCES.pods, NS, { query: { labelSelector: 'app=df-hostile-worker' } });
    const restarts = pods.items[0]?.status?.containerStatuses?.[0]?.restartCount ?? 0;
    if (restarts >= 1) break;
    if (Date.now() > deadline) throw new Error('the hostile worker never restarted');
    await new Promise((r) => setTimeout(r, 300));
  }
});

describe('hostile cluster text, every output format, the programs that read them', () => {
  let json = '';
  it('positive control: the planted bytes reach the run (JSON carries them escaped)', () => {
    const r = cli('json');
    json = r.stdout;
    const report = RunReportSchema.parse(JSON.parse(json));
    expect(report.checks.map((c) => c.id)).toEqual(CHECKS.map((c) => c.id));
    expect(json).toMatch(/\\u001b\[31m/); // the log's colour code, as JSON escapes it
    expect(json).toContain('\\u0007 \u202eevil'); // the env value / annotation text: BEL escaped, RLO as it is
  });

  it('text: no terminal control sequence', () => {
    const r = cli('text');
    expect(r.stdout).toContain('ERROR');
    expect(r.stdout).not.toMatch(CONTROL);
  });

  it('JUnit: well-formed, schema-valid, read back whole by junitparser', () => {
    const xml = cli('junit').stdout;
    expect(xmllintFindings(xml)).toEqual([]);
    const read = junitparserRead(xml);
    expect(read.names).toEqual(CHECKS.map((c) => c.id));
  });

  it('Markdown: no link, image or HTML element from cluster text in either renderer', () => {
    for (const [, html] of renderedMarkdown(cli('markdown').stdout)) expect(activeElements(html)).toEqual([]);
  });

  it('a shared report: its HTML passes html-validate, its Markdown both renderers, its JSON parses', async () => {
    Object.assign(process.env, {
      FD_KUBECONFIG: KUBECONFIGS.admin,
      FD_NAMESPACE: NS,
      FD_REPORT_NAMESPACE: NS, // not the default app namespace, which this test did not create
      FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(PORT),
      HOSTNAME: '127.0.0.1',
    });
    const call = callRoute;
    const runs = await import('../../app/api/runs/route');
    const reports = await import('../../app/api/reports/route');
    const download = await import('../../app/api/reports/[id]/download/route');
    const runId = (
      JSON.parse(await call(runs.POST, '/api/runs', { wait: true, namespace: NS })) as { run: { id: string } }
    ).run.id;
    const shared = JSON.parse(await call(reports.POST, '/api/reports', { runId, namespace: NS })) as { id?: string };
    expect(shared.id, JSON.stringify(shared)).toBeTruthy();
    const id = shared.id!;
    const html = await call(download.GET, `/api/reports/${id}/download?format=html`, undefined, { id });
    expect(html).toContain('ERROR');
    expect(html).not.toMatch(CONTROL);
    expect(await htmlFindings(html)).toEqual([]);
    const md = await call(download.GET, `/api/reports/${id}/download?format=md`, undefined, { id });
    for (const [, out] of renderedMarkdown(md)) expect(activeElements(out)).toEqual([]);
    JSON.parse(await call(download.GET, `/api/reports/${id}/download?format=json`, undefined, { id }));
  });
});

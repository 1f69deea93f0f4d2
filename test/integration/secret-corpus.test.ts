/**
 * Secrets never leave: fake credentials are planted everywhere cluster text comes from (env values,
 * a URL's user:password, a namespace annotation, the gateway's nginx.conf, a container log), and
 * every output is searched for them: the CLI in every format (runs, plans, fixes), the API routes
 * (runs, fix plans, streamed progress, reports and their downloads) and the server's error log.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CHECKS } from '../../checks';
import { REPO_ROOT, testPort } from '../cluster/paths';
import { plantSecrets } from '../cluster/plant-secrets';
import { access, KUBECONFIGS, seed } from './helpers';

const NS = 'it-secret-corpus';
const PORT = testPort(54);
/** Filled by plantSecrets: ZZCORPUS01..06 (one as basic credentials) and the seeded FDSEEDSECRET. */
let PLANTED: string[] = [];
const leaks = (text: string) => PLANTED.filter((s) => text.includes(s));

const env = {
  ...process.env,
  FD_SERVICE_URL_OVERRIDES: `nemo-gateway=http://127.0.0.1:${PORT}`,
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
    const headers = { 'content-type': 'application/json', host: '127.0.0.1:3000' };
    const call = async (
      handler: (req: Request, ctx: never) => Promise<Response>,
      url: string,
      body?: unknown,
      params?: object,
    ) => {
      const req = new Request(`http://127.0.0.1:3000${url}`, {
        method: body ? 'POST' : 'GET',
        headers,
        body: body ? JSON.stringify(body) : undefined,
      });
      const res = await handler(req, { params: Promise.resolve(params ?? {}) } as never);
      return res.text();
    };
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
});

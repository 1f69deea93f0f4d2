/**
 * "Why did my flywheel job fail?" on the real cluster: the flywheel API stand-in behind df-api-service
 * serves the scenario's jobs (the blueprint's own error strings); `flywheel-doctor jobs` traces each
 * failed job to the check that explains it with that check's status now, says which pending job is
 * stuck and why, shows an unknown error as unclassified; after Fix all the fixable causes read
 * "passes now: re-run the job". An API that is unreachable, slow or answers garbage is an explained
 * exit 2, never a crash.
 */
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobsReport } from '../../lib/jobs/report';
import { explainedBy, JOB_FIXTURES } from '../cluster/fixtures/flywheel-jobs';
import { REPO_ROOT, serviceOverridesEnv, testPort } from '../cluster/paths';
import { buildReport } from '../../lib/report/build';
import { renderMarkdown } from '../../lib/report/render';
import { doctorFor, KUBECONFIGS, seed } from './helpers';

const BROKEN = 'it-jobs';
const HEALTHY = 'it-jobs-healthy';
const PORT = testPort(98);
const HEALTHY_PORT = testPort(99);

/** `flywheel-doctor jobs` for a namespace, with the test cluster's overrides (or others). */
const jobsCommand = (ns: string, args: string[]) => [
  path.join(REPO_ROOT, 'bin/flywheel-doctor.cjs'),
  'jobs',
  ...args,
  '--namespace',
  ns,
  '--kubeconfig',
  KUBECONFIGS.admin,
];
const jobs = (ns: string, port: number, args: string[] = [], overrides = serviceOverridesEnv(port)) =>
  spawnSync(process.execPath, jobsCommand(ns, args), {
    encoding: 'utf8',
    env: { ...process.env, FD_SERVICE_URL_OVERRIDES: overrides },
    timeout: 60_000,
  });
/** The same, without blocking this process (the API stand-ins of the failure cases run in it). */
const jobsAsync = (ns: string, args: string[], overrides: string) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const p = spawn(process.execPath, jobsCommand(ns, args), {
      env: { ...process.env, FD_SERVICE_URL_OVERRIDES: overrides },
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
const report = (r: { stdout: string }) => JSON.parse(r.stdout) as JobsReport & { schemaVersion: number };

beforeAll(async () => {
  // One after the other: a first seed creates the cluster-wide objects (the DNS Service), which two at once race on.
  await seed(BROKEN, 'broken', PORT);
  await seed(HEALTHY, 'healthy', HEALTHY_PORT);
});

describe('flywheel-doctor jobs', () => {
  it('broken: every failed job with its check, still failing; the stuck job and why; the unknown one unclassified', () => {
    const r = jobs(BROKEN, PORT, ['--format', 'json']);
    expect(r.status, r.stderr).toBe(1);
    const out = report(r);
    expect(out.schemaVersion).toBe(1);
    // Newest first, as the API's jobs are read.
    const newestFirst = [...JOB_FIXTURES.broken].sort((a, b) => a.minutesAgo - b.minutesAgo);
    expect(out.jobs.map(explainedBy)).toEqual(newestFirst.map((f) => f.expected));
    for (const c of out.jobs.flatMap((j) => j.causes).filter((x) => x.checkId)) expect(c.checkStatus).toBe('fail');
    expect(out.jobs.find((j) => j.verdict === 'stuck')!.stuck).toMatch(/with no job running/);
    const text = jobs(BROKEN, PORT).stdout;
    expect(text).toMatch(
      /failed because the evaluator got no record for meta\/llama-3\.2-1b-instruct .*; check evaluator-entity-store-url is still failing: fix it \(flywheel-doctor fix evaluator-entity-store-url\)/,
    );
    expect(text).toMatch(/unclassified: Error running base-eval evaluation: CUDA error/);
  });

  it('a shared report holds the jobs of its time range with their causes', async () => {
    const doctor = doctorFor(BROKEN, PORT);
    const run = await doctor.run();
    const built = await buildReport(doctor, run, { createdBy: 'test', anonymize: false });
    expect(built.jobs?.filter((j) => j.verdict === 'failed')).toHaveLength(7);
    const md = renderMarkdown(built.run, built);
    expect(md).toContain('## Flywheel jobs in this time range that failed or are stuck');
    expect(md).toMatch(/check evaluator\\-secrets\\-delete is still failing/);
  });

  it('after Fix all, the fixed causes read "passes now: re-run the job"', async () => {
    await doctorFor(BROKEN, PORT).fixAll({ dryRun: false });
    const out = report(jobs(BROKEN, PORT, ['--format', 'json']));
    for (const id of [
      'evaluator-entity-store-url',
      'evaluator-secrets-delete',
      'models-pvc-ownership',
      'gateway-upstreams',
    ]) {
      const cause = out.jobs.flatMap((j) => j.causes).find((c) => c.checkId === id)!;
      expect(cause.checkStatus, id).toBe('pass');
    }
    expect(jobs(BROKEN, PORT).stdout).toMatch(/check evaluator-secrets-delete passes now: re-run the job/);
  });

  it('healthy: no failed job, exit 0; Markdown lists them', () => {
    const r = jobs(HEALTHY, HEALTHY_PORT, ['--format', 'json']);
    expect(r.status, r.stderr).toBe(0);
    expect(report(r).jobs.map((j) => j.verdict)).toEqual(['completed', 'completed']);
    expect(jobs(HEALTHY, HEALTHY_PORT, ['--format', 'markdown']).stdout).toMatch(/\| OK \| `65f0c0ffee/);
  });

  describe('an API that cannot answer', () => {
    const servers: http.Server[] = [];
    const serve = async (handler: http.RequestListener) => {
      const s = http.createServer(handler).listen(0, '127.0.0.1');
      servers.push(s);
      await new Promise((r) => s.once('listening', r));
      return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    };
    afterAll(() => {
      for (const s of servers) {
        s.closeAllConnections();
        s.close();
      }
    });
    const withApi = (url: string) => serviceOverridesEnv(PORT).replace(/df-api-service=[^,]+/, `df-api-service=${url}`);

    it.each<[string, () => Promise<string>, RegExp]>([
      ['unreachable', async () => `http://127.0.0.1:${testPort(93)}`, /cannot be reached: ECONNREFUSED/],
      ['slow (bounded wait)', () => serve(() => undefined), /no answer within 5 s/],
      ['garbage', () => serve((_q, res) => res.end('<html>oops</html>')), /did not answer JSON/],
      [
        'JSON, but not the job list',
        () => serve((_q, res) => res.end('{"items": []}')),
        /something other than the job list: jobs/,
      ],
    ])('%s: exit 2 with the reason, JSON too', async (_, url, why) => {
      const api = await url();
      const r = await jobsAsync(BROKEN, ['--format', 'json'], withApi(api));
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/FD_SERVICE_URL_OVERRIDES=df-api-service=/);
      expect(JSON.parse(r.stdout).error.message).toMatch(why);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../checks';
import { explainedBy, JOB_FIXTURES, jobRecord } from '../../test/cluster/fixtures/flywheel-jobs';
import { JobSchema } from './api';
import { causeLine, classify, failsStill, signaturesOf, triageJobs, workerEvidence } from './triage';

const signatures = signaturesOf(CHECKS);
const NOW = Date.parse('2026-12-04T12:00:00Z');
const jobs = (name: 'broken' | 'healthy') => JOB_FIXTURES[name].map((f) => JobSchema.parse(jobRecord(f, NOW)));

describe('classify: each error string the blueprint writes, to the check that explains it', () => {
  it.each<[string, string, string | undefined, RegExp]>([
    [
      '404 on the base model',
      'Error running base-eval evaluation: Evaluation job failed: 404 Client Error: Not Found for url: http://nemo-gateway/v1/models/meta/llama-3.2-1b-instruct',
      'evaluator-entity-store-url',
      /no record for meta\/llama-3\.2-1b-instruct/,
    ],
    [
      'model not found',
      'Error running base-eval evaluation: Model meta/llama-3.2-1b-instruct not found',
      'evaluator-entity-store-url',
      /no record for meta\/llama-3\.2-1b-instruct/,
    ],
    [
      'empty namespace',
      'Error running icl-eval evaluation: 422: namespace="" fails pattern',
      'evaluator-entity-store-url',
      /empty namespace/,
    ],
    [
      'looked up in default',
      'Error running base-eval evaluation: The model default/llama-3.2-1b-instruct does not exist',
      'evaluator-entity-store-url',
      /as default\/llama-3\.2-1b-instruct/,
    ],
    [
      'cannot delete secrets',
      'Error running icl-eval evaluation: cannot delete resource "secrets" in API group ""',
      'evaluator-secrets-delete',
      /may not delete secrets/,
    ],
    [
      'permission denied on the models PVC',
      "Error starting customization: PermissionError: [Errno 13] Permission denied: '/mount/models/x'",
      'models-pvc-ownership',
      /another UID/,
    ],
    [
      'no EVALUATOR_IMAGE',
      'Error running base-eval evaluation: Environment variable EVALUATOR_IMAGE is not set',
      'evaluator-init-image',
      /EVALUATOR_IMAGE/,
    ],
    [
      'Entity Store 502',
      'Error creating datasets: Unexpected response from Entity Store during namespace creation: 502',
      'gateway-upstreams',
      /could not reach the Entity Store \(HTTP 502\)/,
    ],
    [
      'Data Store 504',
      'Error creating datasets: Unexpected response from Data Store during namespace creation: 504',
      'gateway-upstreams',
      /Data Store \(HTTP 504\)/,
    ],
    [
      'deployment timeout',
      'Error spinning up NIM: Deployment did not complete within 3600 seconds',
      'gateway-deployment-mocks',
      /deployment-management/,
    ],
    [
      'model did not sync',
      'Error spinning up NIM: Model meta/llama-3.2-1b-instruct did not sync within 3600 seconds',
      'nim-model-sync',
      /never listed meta\/llama-3\.2-1b-instruct/,
    ],
    [
      'SCC refused',
      'Error starting customization: pods "train-1" is forbidden: unable to validate against any security context constraint',
      'customizer-scc',
      /SCC admission/,
    ],
    ['cancelled by a worker restart', 'Cancelled by cleanup manager', 'pod-health', /worker restarted/],
  ])('%s', (_, text, checkId, cause) => {
    const c = classify(text, 'job', signatures);
    expect(c.checkId).toBe(checkId);
    expect(c.cause).toMatch(cause);
  });

  it('too little data is data, not a check', () => {
    const c = classify(
      'Error creating datasets: A minimum of 50 records is required, but only 12 were found',
      'job',
      signatures,
    );
    expect(c).toMatchObject({ data: true, stage: 'dataset creation' });
    expect(c.cause).toMatch(/12 records where the split needs 50/);
  });

  it('an error no signature knows is unclassified, with its text, never guessed', () => {
    const c = classify('Error running base-eval evaluation: CUDA error: an illegal memory access', 'job', signatures);
    expect(c.checkId).toBeUndefined();
    expect(c.data).toBeUndefined();
    expect(causeLine(c)).toBe(
      'base-eval evaluation: unclassified: Error running base-eval evaluation: CUDA error: an illegal memory access',
    );
  });
});

describe('triageJobs on the seeded jobs', () => {
  const failing = Object.fromEntries(CHECKS.map((c) => [c.id, { status: 'fail' as const }]));
  it('broken: every failed job traced to its check, still failing; the pending one stuck; one unclassified', () => {
    const t = triageJobs(jobs('broken'), CHECKS, failing, NOW);
    expect(t.map(explainedBy)).toEqual(JOB_FIXTURES.broken.map((f) => f.expected));
    expect(t[7]!.stuck).toMatch(/pending for 90 min with no job running/);
    expect(causeLine(t[0]!.causes[0]!)).toMatch(
      /check evaluator-entity-store-url is still failing: fix it \(flywheel-doctor fix evaluator-entity-store-url\)/,
    );
    expect(t.filter(failsStill)).toHaveLength(5);
  });

  it('after the fixes: the same jobs read "passed since …: re-run the job"; nothing fails still', () => {
    const passing = Object.fromEntries(
      CHECKS.map((c) => [c.id, { status: 'pass' as const, passingSince: '2026-12-04T11:30:00Z' }]),
    );
    const t = triageJobs(jobs('broken'), CHECKS, passing, NOW);
    expect(causeLine(t[1]!.causes[0]!)).toMatch(/has passed since 2026-12-04T11:30:00Z: re-run the job/);
    expect(t.filter(failsStill)).toEqual([]);
  });

  it('a pending job behind a running one is queued, not stuck', () => {
    const running = JobSchema.parse({
      ...jobRecord(JOB_FIXTURES.healthy[0]!, NOW),
      id: 'r',
      status: 'running',
      finished_at: null,
    });
    const t = triageJobs([running, ...jobs('broken').slice(7)], CHECKS, failing, NOW);
    expect(t.map((j) => j.verdict)).toEqual(['running', 'queued']);
  });

  it('a NIM pending past the spin-up timeout in a running job is stuck', () => {
    const started = new Date(NOW - 70 * 60_000).toISOString();
    const running = JobSchema.parse({
      ...jobRecord(JOB_FIXTURES.healthy[0]!, NOW),
      status: 'running',
      started_at: started,
      finished_at: null,
      nims: [
        { model_name: 'm/x', status: 'pending', deployment_status: 'pending', evaluations: [], customizations: [] },
      ],
    });
    const [t] = triageJobs([running], CHECKS, failing, NOW);
    expect(t!.verdict).toBe('stuck');
    expect(t!.stuck).toMatch(/NIM m\/x has been pending for over 60 min \(deployment status pending\)/);
  });

  it('healthy: completed jobs, nothing failed', () => {
    expect(triageJobs(jobs('healthy'), CHECKS, failing, NOW).map((j) => j.verdict)).toEqual(['completed', 'completed']);
  });
});

describe('workerEvidence: why nothing takes a pending job', () => {
  it.each<[string, Parameters<typeof workerEvidence>[0], RegExp]>([
    ['no worker pod', [], /No Celery worker pod is running/],
    [
      'a crash-looping worker',
      [{ name: 'df-celery-worker-1', ready: false, restarts: 7, waiting: 'CrashLoopBackOff' }],
      /df-celery-worker-1 is not ready \(CrashLoopBackOff\): it never takes the job/,
    ],
    [
      'a worker that restarted',
      [{ name: 'df-celery-parent-worker-1', ready: true, restarts: 1 }],
      /restarted 1 time\(s\): a restart purges the queue/,
    ],
    ['workers up and idle', [{ name: 'df-celery-worker-1', ready: true, restarts: 0 }], /up and idle/],
  ])('%s', (_, pods, want) => expect(workerEvidence(pods)).toMatch(want));

  it('is what a stuck job says', () => {
    const [t] = triageJobs(
      jobs('broken').slice(7),
      CHECKS,
      {},
      NOW,
      'No Celery worker pod is running (df-celery-*), so nothing takes the job',
    );
    expect(t!.stuck).toMatch(/none does\. No Celery worker pod is running .*: start it again/);
  });
});

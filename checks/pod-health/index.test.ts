import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, outcome } from '../../lib/engine/testing';
import check, { owningDeployment, podProblems } from '.';
import { config, deployment, NS, pod } from '../test-fixtures';

const EXPECTED = [
  'df-api-deployment',
  'df-celery-worker-deployment',
  'df-celery-parent-worker-deployment',
  'nemo-gateway',
];
const deps = (over: Record<string, { available?: number }> = {}) => EXPECTED.map((n) => deployment(n, over[n] ?? {}));
const healthyPods = () => EXPECTED.map((d) => pod(`${d}-abc123-x1`, { deployment: d }));
const judge = (pods: unknown[], deployments = deps(), logs: Record<string, string> = {}, pvcs: unknown[] = []) =>
  judgeWith(
    check,
    Snapshot.fromFixture(NS, { pods: pods as never, deployments, persistentvolumeclaims: pvcs as never }),
    { logs },
    config(),
  );

const crash = {
  name: 'main',
  ready: false,
  restartCount: 12,
  state: { waiting: { reason: 'CrashLoopBackOff' } },
  lastState: { terminated: { exitCode: 1, reason: 'Error' } },
};

describe('pod-health', () => {
  it('passes when every pod is running and ready', () =>
    expect(judge(healthyPods()).summary).toMatch(/^All 4 pods are running and ready$/));
  it('warns when the namespace has no Data Flywheel or NeMo pods at all', () => {
    const none = judge(
      [],
      deps().map((d) => ({ ...d, spec: { ...d.spec, replicas: 0 } })),
    );
    expect(outcome(none)).toBe('FD-POD-003');
    expect(none.summary).toMatch(/^No Data Flywheel or NeMo pods found in flywheel$/);
  });
  it('fails on CrashLoopBackOff and shows the last log lines', () => {
    const pods = [
      ...healthyPods().slice(1),
      pod('df-api-deployment-abc123-x1', { deployment: 'df-api-deployment', ready: false, statuses: [crash] }),
    ];
    const r = judge(pods, deps({ 'df-api-deployment': { available: 0 } }), {
      'df-api-deployment-abc123-x1/main': 'ERROR: judge unreachable',
    });
    expect(outcome(r)).toBe('FD-POD-001');
    expect(r.evidence.some((e) => e.code && e.value.includes('judge unreachable'))).toBe(true);
  });
  it.each([
    ['ImagePullBackOff', { waiting: { reason: 'ImagePullBackOff', message: 'pull access denied' } }],
    ['ErrImagePull', { waiting: { reason: 'ErrImagePull' } }],
    [
      'CreateContainerConfigError',
      { waiting: { reason: 'CreateContainerConfigError', message: 'secret "nvidia-api" not found' } },
    ],
  ])('fails on %s with the reason', (reason, state) => {
    const p = pod('df-api-deployment-abc123-x1', {
      deployment: 'df-api-deployment',
      ready: false,
      statuses: [{ name: 'main', ready: false, restartCount: 0, state }],
    });
    const r = judge([p, ...healthyPods().slice(1)]);
    expect(outcome(r)).toBe('FD-POD-001');
    expect(r.evidence.map((e) => e.value).join()).toContain(reason);
  });
  it('names the missing Secret for CreateContainerConfigError', () => {
    const p = pod('df-api-deployment-abc123-x1', {
      deployment: 'df-api-deployment',
      statuses: [
        {
          name: 'main',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'CreateContainerConfigError', message: 'secret "nvidia-api" not found' } },
        },
      ],
    });
    expect(
      judge([p, ...healthyPods().slice(1)])
        .evidence.map((e) => e.value)
        .join(),
    ).toContain('secret "nvidia-api" not found');
  });
  it('fails on OOMKilled last state and Pending with the scheduler message', () => {
    const oom = pod('df-redis-deployment-abc123-x', {
      deployment: 'df-redis-deployment',
      statuses: [
        {
          name: 'main',
          ready: true,
          restartCount: 1,
          state: { running: {} },
          lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
        },
      ],
    });
    expect(outcome(judge([...healthyPods(), oom], [...deps(), deployment('df-redis-deployment')]))).toBe('FD-POD-001');
    const pending = pod('df-mongodb-deployment-abc123-x', {
      deployment: 'df-mongodb-deployment',
      phase: 'Pending',
      statuses: [],
      conditions: [
        { type: 'PodScheduled', status: 'False', message: '0/3 nodes are available: 3 Insufficient memory.' },
      ],
    });
    const r = judge([...healthyPods(), pending], [...deps(), deployment('df-mongodb-deployment')]);
    expect(outcome(r)).toBe('FD-POD-001');
    expect(r.evidence.map((e) => e.value).join()).toContain('Insufficient memory');
  });
  it('fails on a container caught running between crashes (restarted, not ready, last exit non-zero)', () => {
    const p = pod('df-api-deployment-abc123-x1', {
      deployment: 'df-api-deployment',
      ready: false,
      statuses: [
        {
          name: 'main',
          ready: false,
          restartCount: 2,
          state: { running: {} },
          lastState: { terminated: { exitCode: 1, reason: 'Error' } },
        },
      ],
    });
    const r = judge([p, ...healthyPods().slice(1)]);
    expect(outcome(r)).toBe('FD-POD-001');
    expect(r.evidence.map((e) => e.value).join()).toMatch(/restarting after a crash/);
  });
  it('warns when restarts exceed the threshold', () => {
    const p = pod('df-api-deployment-abc123-x1', {
      deployment: 'df-api-deployment',
      statuses: [{ name: 'main', ready: true, restartCount: 9, state: { running: {} } }],
    });
    expect(outcome(judge([p, ...healthyPods().slice(1)]))).toBe('FD-POD-002');
  });
  it('fails when an expected Deployment is missing', () => {
    const r = judge(healthyPods().slice(1), deps().slice(1));
    expect(outcome(r)).toBe('FD-POD-001');
    expect(r.summary).toContain('df-api-deployment');
  });
  it('ignores its own probe pods and finished pods', () => {
    const probe = pod('fd-pvc-probe-1', {
      labels: { 'flywheel-doctor.dev/role': 'pvc-probe' },
      ready: false,
      statuses: [crash],
    });
    expect(judge([...healthyPods(), probe]).status).toBe('pass');
  });
  it('tolerates pods without status', () => {
    expect(podProblems({ metadata: { name: 'df-x' } }, [], 5)).toEqual([]);
  });
  it('maps pods to Deployments through the ReplicaSet name', () => {
    expect(owningDeployment(pod('df-api-deployment-abc123-x1', { deployment: 'df-api-deployment' }), deps())).toBe(
      'df-api-deployment',
    );
  });
});

describe('pod-health: pending on a claim that is Bound now', () => {
  const unschedulable = (claim: string) =>
    pod('df-api-deployment-abc123-x9', {
      deployment: 'df-api-deployment',
      phase: 'Pending',
      ready: false,
      statuses: [],
      volumes: [{ name: 'd', persistentVolumeClaim: { claimName: claim } }],
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.',
        },
      ],
    });
  const claim = (phase: string) => ({ metadata: { name: 'data' }, status: { phase } });
  it.each([
    [
      'Bound now: a warning that it will be retried, never "Pending" as a failure',
      'Bound',
      'FD-POD-002',
      /is Bound now; it should be scheduled/,
    ],
    ['still Pending: a failure with the scheduler message', 'Pending', 'FD-POD-001', /Unhealthy: df-api-deployment/],
  ])('%s', (_name, phase, status, summary) => {
    const r = judge([unschedulable('data'), ...healthyPods()], deps(), {}, [claim(phase)]);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });
});

describe('pod-health fix availability', () => {
  it('offers no restart when only missing Deployments are wrong, and says why', () => {
    const s = Snapshot.fromFixture(NS, {
      pods: healthyPods().slice(1) as never,
      deployments: deps().slice(1),
      persistentvolumeclaims: [],
    });
    const subject = check.locate!(s, config());
    const finding = check.judge({ snapshot: s, subject, probe: { logs: {} }, config: config() });
    expect(outcome(finding)).toBe('FD-POD-001');
    expect(
      check.fix!.available!({ snapshot: s, subject, probe: { logs: {} }, finding, config: config() }),
    ).toMatchObject({ reason: /nothing a restart can fix: expected Deployment df-api-deployment is missing/ });
  });
});

import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, outcome } from '../../lib/engine/testing';
import type { KObject } from '../../lib/k8s/object';
import check, { stuckReason, type VolcanoProbe } from '.';
import { config, deployment, NS } from '../test-fixtures';

const NOW = Date.parse('2026-12-04T12:00:00Z');
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();
const podGroup = (name: string, status?: unknown, ageSeconds = 600): KObject => ({
  metadata: { name, namespace: NS, creationTimestamp: ago(ageSeconds) },
  spec: { minMember: 1, queue: 'default' },
  ...(status ? { status } : {}),
});
const RUNNING = { phase: 'Running', conditions: [{ type: 'Scheduled', status: 'True' }] };
const UNSCHEDULABLE = {
  phase: 'Pending',
  conditions: [{ type: 'Unschedulable', status: 'True', message: '2/2 tasks in gang unschedulable' }],
};
const controller = (name: string, ready = 1) => ({
  name,
  deployment: { metadata: { name }, spec: { replicas: 1 }, status: { readyReplicas: ready, replicas: 1 } },
});
const READY: VolcanoProbe = {
  queue: { metadata: { name: 'default' }, status: { state: 'Open' } },
  controllers: [controller('volcano-scheduler'), controller('volcano-controllers')],
};
const pendingVolcanoPod = (annotated: boolean): KObject => ({
  metadata: {
    name: 'cust-job-training',
    namespace: NS,
    annotations: annotated ? { 'scheduling.k8s.io/group-name': 'cust-job' } : {},
  },
  spec: { schedulerName: 'volcano' },
  status: { phase: 'Pending' },
});
const world = (podgroups: KObject[] | Error, pods: KObject[] = [], customizer = true) =>
  Snapshot.fromFixture(NS, {
    podgroups,
    pods,
    deployments: customizer ? [deployment('nemocustomizer-sample')] : [],
  });
const judge = (s: Snapshot, probe: VolcanoProbe) => judgeWith(check, s, probe, config());

describe('volcano-scheduling', () => {
  it.each([
    [
      'queue Open, controllers ready, a PodGroup running',
      world([podGroup('a', RUNNING)]),
      READY,
      'pass',
      /Queue default is Open, its controllers are ready and 1 PodGroup/,
    ],
    ['no Customizer and no PodGroups', world([], [], false), READY, 'FD-VOL-001', /nothing is scheduled by Volcano/],
    [
      'the queue is Closed',
      world([]),
      { ...READY, queue: { metadata: { name: 'default' }, status: { state: 'Closed' } } },
      'FD-VOL-005',
      /Queue default is Closed, not Open/,
    ],
    ['the queue is missing', world([]), { ...READY, queue: undefined }, 'FD-VOL-004', /Queue default does not exist/],
    [
      'the scheduler has no ready pod',
      world([]),
      { ...READY, controllers: [controller('volcano-scheduler', 0), controller('volcano-controllers')] },
      'FD-VOL-007',
      /volcano-scheduler has no ready pod/,
    ],
    [
      'the controllers are not installed',
      world([]),
      { ...READY, controllers: [controller('volcano-scheduler'), { name: 'volcano-controllers' }] },
      'FD-VOL-006',
      /volcano-controllers Deployment is not in volcano-system/,
    ],
    [
      'a PodGroup Pending and Unschedulable',
      world([podGroup('cust-job', UNSCHEDULABLE)]),
      READY,
      'FD-VOL-008',
      /PodGroups stuck: cust-job \(Pending, Unschedulable: 2\/2 tasks in gang unschedulable\)/,
    ],
    [
      'a PodGroup without a phase for 10 minutes',
      world([podGroup('cust-job')]),
      READY,
      'FD-VOL-008',
      /cust-job \(no phase \d+ s after creation/,
    ],
    [
      'a training pod that names no PodGroup',
      world([]),
      READY,
      'FD-VOL-009',
      /1 pod\(s\) for the Volcano scheduler name no PodGroup/,
    ],
  ] as Array<[string, Snapshot, VolcanoProbe, string, RegExp]>)('%s → %s', (name, snapshot, probe, status, summary) => {
    const s = name === 'a training pod that names no PodGroup' ? world([], [pendingVolcanoPod(false)]) : snapshot;
    const r = judge(s, probe);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('is an error when the Queue cannot be read', () => {
    const r = judge(world([]), { ...READY, queueError: 'forbidden' });
    expect(outcome(r)).toBe('FD-VOL-002');
    expect(r.summary).toBe('Cannot read Volcano Queue default: forbidden');
  });

  it('Volcano not installed while the Customizer is: training never starts', () => {
    const s = Snapshot.fromFixture(NS, { pods: [], deployments: [deployment('nemocustomizer-sample')] });
    // A list answered 404 (no CRD) is "not installed".
    (s as unknown as { slots: Map<string, unknown> }).slots.set('podgroups', { items: [], notInstalled: true });
    const r = judge(s, { controllers: [] });
    expect(outcome(r)).toBe('FD-VOL-003');
    expect(r.summary).toMatch(/Volcano is not installed \(no PodGroup API\)/);
  });

  it('a pod that names its PodGroup is not flagged; an unreadable controller is evidence, not a verdict', () => {
    const r = judge(world([podGroup('a', RUNNING)], [pendingVolcanoPod(true)]), {
      ...READY,
      controllers: [controller('volcano-scheduler'), { name: 'volcano-controllers', error: 'forbidden' }],
    });
    expect(r.status).toBe('pass');
    expect(r.evidence.map((e) => e.value)).toContain('forbidden');
  });

  it.each([
    [podGroup('fresh', undefined, 5), undefined],
    [podGroup('old', undefined, 300), /no phase 300 s after creation/],
    [podGroup('inqueue', { phase: 'Inqueue' }), undefined],
    [podGroup('pending-no-condition', { phase: 'Pending' }), undefined],
  ])('stuckReason %#', (pg, why) => {
    const r = stuckReason(pg, NOW, 120);
    if (why) expect(r).toMatch(why);
    else expect(r).toBeUndefined();
  });
});

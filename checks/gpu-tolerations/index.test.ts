import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { availabilityWith, judgeWith, planWith, outcome } from '../../lib/engine/testing';
import type { KObject } from '../../lib/k8s/object';
import check, { tolerates, type Taint } from '.';
import { config, NS } from '../test-fixtures';

const GPU_TAINT = { key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' };
const node = (name: string, gpus: number, taints: Taint[] = []): KObject => ({
  metadata: { name },
  spec: { taints },
  status: { allocatable: gpus ? { 'nvidia.com/gpu': String(gpus) } : { cpu: '4' } },
});
const nim = (name: string, tolerations?: unknown[]): KObject => ({
  kind: 'NIMService',
  metadata: { name, namespace: NS, resourceVersion: '12' },
  spec: {
    image: { repository: 'r', tag: 't' },
    resources: { limits: { 'nvidia.com/gpu': '1' } },
    ...(tolerations ? { tolerations } : {}),
  },
});
const customizer = (tolerations?: unknown[]): KObject => ({
  kind: 'NemoCustomizer',
  metadata: { name: 'nemocustomizer-sample', namespace: NS, resourceVersion: '3' },
  spec: { trainingConfig: tolerations ? { tolerations } : {} },
});
const refusedPod = (name: string): KObject => ({
  metadata: { name, namespace: NS },
  status: {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message:
          '0/3 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}, 2 Insufficient nvidia.com/gpu.',
      },
    ],
  },
});
const world = (o: {
  nodes?: KObject[];
  nims?: KObject[];
  customizers?: KObject[];
  pods?: KObject[];
  deployments?: KObject[];
}) =>
  Snapshot.fromFixture(NS, {
    nodes: o.nodes ?? [node('cpu-1', 0), node('gpu-1', 8, [GPU_TAINT])],
    nimservices: o.nims ?? [],
    nimcaches: [],
    nemocustomizers: o.customizers ?? [],
    pods: o.pods ?? [],
    deployments: o.deployments ?? [],
  });
const judge = (s: Snapshot) => judgeWith(check, s, undefined, config());
const TOLERATION = { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' };

describe('gpu-tolerations', () => {
  it.each([
    ['a NIM tolerating the taint', world({ nims: [nim('llama-gpu', [TOLERATION])] }), 'pass', /tolerates a GPU node/],
    [
      'no GPU node at all',
      world({ nodes: [node('cpu-1', 0)], nims: [nim('llama-gpu')] }),
      'FD-GPU-001',
      /No node offers GPUs/,
    ],
    ['a GPU node without taints', world({ nodes: [node('gpu-1', 2)], nims: [nim('llama-gpu')] }), 'pass', /tolerates/],
    [
      'its pod Pending with the scheduler\'s "untolerated taint"',
      world({ nims: [nim('llama-gpu')], pods: [refusedPod('llama-gpu-5c9f-abcde')] }),
      'FD-GPU-002',
      /1 pod\(s\) Pending with "untolerated taint": NIMService llama-gpu does not tolerate the GPU nodes' taints \(nvidia.com\/gpu=present:NoSchedule\)/,
    ],
    [
      'a training pod refused while the NemoCustomizer lacks the toleration',
      world({ customizers: [customizer()], pods: [refusedPod('cust-abc-training-0')] }),
      'FD-GPU-002',
      /NemoCustomizer nemocustomizer-sample does not tolerate/,
    ],
    [
      'nothing Pending yet, but the next pod would be',
      world({ nims: [nim('llama-gpu')] }),
      'FD-GPU-004',
      /NIMService llama-gpu would not be scheduled on a GPU node/,
    ],
    [
      'fixed, a pod from before still Pending',
      world({ nims: [nim('llama-gpu', [TOLERATION])], pods: [refusedPod('llama-gpu-5c9f-abcde')] }),
      'FD-GPU-003',
      /stay Pending until recreated/,
    ],
    [
      'of two GPU nodes, one fits: that is enough',
      world({ nodes: [node('gpu-1', 8, [GPU_TAINT]), node('gpu-2', 8)], nims: [nim('llama-gpu')] }),
      'pass',
      /tolerates/,
    ],
  ] as const)('%s → %s', (_name, snapshot, status, summary) => {
    const r = judge(snapshot);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('judges only the NIMs that ask for a GPU (in their spec or the Deployment they render)', () => {
    const cpuOnly = { ...nim('embedder'), spec: { image: { repository: 'r', tag: 't' } } };
    expect(judge(world({ nims: [cpuOnly] })).status).toBe('pass');
    const rendered = {
      metadata: { name: 'embedder', namespace: NS },
      spec: { template: { spec: { containers: [{ name: 'c', resources: { limits: { 'nvidia.com/gpu': '1' } } }] } } },
    };
    expect(judge(world({ nims: [cpuOnly], deployments: [rendered] })).summary).toMatch(
      /NIMService embedder would not be scheduled/,
    );
  });

  it.each([
    [{ key: 'nvidia.com/gpu', operator: 'Exists' }, true],
    [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'present', effect: 'NoSchedule' }, true],
    [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'other' }, false],
    [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoExecute' }, false],
    [{ operator: 'Exists' }, true],
    [{ key: 'other', operator: 'Exists' }, false],
  ])('toleration %j tolerates nvidia.com/gpu=present:NoSchedule: %s', (t, want) => {
    expect(tolerates(t, GPU_TAINT)).toBe(want);
  });

  it('plans a guarded patch per resource that lacks it, at the path each CR keeps tolerations', async () => {
    const s = world({
      nims: [nim('llama-gpu'), nim('ok', [TOLERATION])],
      customizers: [customizer()],
      pods: [refusedPod('llama-gpu-x')],
    });
    expect(availabilityWith(check, s, undefined, config()).available).toBe(true);
    const p = await planWith(check, s, undefined, config());
    expect(p.changes.map((c) => c.target)).toEqual([
      `NIMService ${NS}/llama-gpu`,
      `NemoCustomizer ${NS}/nemocustomizer-sample`,
    ]);
    expect(p.changes[0]!.patch).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '12' },
      {
        op: 'add',
        path: '/spec/tolerations',
        value: [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'present', effect: 'NoSchedule' }],
      },
    ]);
    expect(p.changes[1]!.patch![1]).toMatchObject({ op: 'add', path: '/spec/trainingConfig/tolerations' });
  });

  it('offers nothing when every resource tolerates the taint, and says what to do with Pending pods', () => {
    const s = world({ nims: [nim('llama-gpu', [TOLERATION])], pods: [refusedPod('llama-gpu-x')] });
    expect(availabilityWith(check, s, undefined, config()).reason).toMatch(/recreate the Pending pods/);
  });
});

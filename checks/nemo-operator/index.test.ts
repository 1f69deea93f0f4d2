import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { judgeWith, outcome } from '../../lib/engine/testing';
import check, { type OperatorProbe } from '.';
import { config, NS } from '../test-fixtures';

const dep = (name: string, available: number, labels: Record<string, string> = {}) => ({
  metadata: { name, generation: 1, labels },
  spec: { replicas: 1 },
  status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: available },
});
const CUSTOMIZER = dep('nemocustomizer-sample', 1);
const crd = (established = true) => ({
  metadata: { name: 'nemotrainingjobs.nvidia.com' },
  status: { conditions: [{ type: 'Established', status: established ? 'True' : 'False' }] },
});
const judge = (deployments: unknown[], probe: OperatorProbe) =>
  judgeWith(check, Snapshot.fromFixture(NS, { deployments: deployments as never }), probe, config());

describe('nemo-operator', () => {
  it.each([
    [
      'operator ready and CRD installed',
      [CUSTOMIZER, dep('nemo-operator-controller-manager', 1)],
      { crd: crd() },
      'pass',
      /is running/,
    ],
    [
      'found by its chart label under another name',
      [CUSTOMIZER, dep('nemo-op', 1, { 'app.kubernetes.io/name': 'nemo-operator' })],
      { crd: crd() },
      'pass',
      /is running/,
    ],
    [
      'CRD missing',
      [CUSTOMIZER, dep('nemo-operator-controller-manager', 1)],
      {},
      'FD-NOP-003',
      /CRD nemotrainingjobs\.nvidia\.com is not installed/,
    ],
    [
      'CRD not Established',
      [CUSTOMIZER, dep('nemo-operator-controller-manager', 1)],
      { crd: crd(false) },
      'FD-NOP-004',
      /is not Established/,
    ],
    [
      'operator Deployment missing',
      [CUSTOMIZER],
      { crd: crd() },
      'FD-NOP-005',
      /Deployment \(nemo-operator-controller-manager\) is not in this namespace/,
    ],
    [
      'operator not available',
      [CUSTOMIZER, dep('nemo-operator-controller-manager', 0)],
      { crd: crd() },
      'FD-NOP-006',
      /is not available/,
    ],
    ['no Customizer: nothing to train', [], {}, 'FD-NOP-001', /No Customizer here/],
    ['the CRD cannot be read', [CUSTOMIZER], { crdError: 'forbidden' }, 'FD-NOP-002', /Cannot read CRD/],
  ] as const)('%s', (_name, deployments, probe, status, summary) => {
    const r = judge([...deployments], probe);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });
});

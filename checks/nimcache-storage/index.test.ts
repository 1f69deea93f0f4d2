import { describe, expect, it } from 'vitest';
import { Snapshot } from '../../lib/engine/snapshot';
import { availabilityWith, judgeWith, planWith, outcome } from '../../lib/engine/testing';
import type { KObject } from '../../lib/k8s/object';
import check, { type CacheProbe } from '.';
import { config, NS } from '../test-fixtures';
import { parseQuantity } from './quantity';

const cache = (state: string): KObject => ({
  metadata: { name: 'llama-cache', namespace: NS },
  spec: { storage: { pvc: { name: 'llama-cache-pvc' } } },
  status: { state, pvc: 'llama-cache-pvc' },
});
const pvc = (requested: string, capacity = requested): KObject => ({
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'llama-cache-pvc', namespace: NS, resourceVersion: '41' },
  spec: { storageClassName: 'gp3', resources: { requests: { storage: requested } } },
  status: { phase: 'Bound', capacity: { storage: capacity } },
});
const failedJob: KObject = {
  metadata: { name: 'llama-cache-job-abcde', namespace: NS },
  spec: { containers: [{ name: 'nim-cache' }] },
  status: { phase: 'Failed' },
};
const DISK_FULL_LOG = 'OSError: [Errno 28] No space left on device: /model-store/rank0.engine';
const world = (caches: KObject[], pvcs: KObject[], pods: KObject[] = []) =>
  Snapshot.fromFixture(NS, { nimcaches: caches, persistentvolumeclaims: pvcs, pods });
const probe = (logs: Record<string, string> = {}, expandable: Record<string, boolean> = { gp3: true }): CacheProbe => ({
  logs,
  expandable,
  errors: [],
});
const judge = (s: Snapshot, p: CacheProbe = probe()) => judgeWith(check, s, p, config());

describe('nimcache-storage', () => {
  it.each([
    ['Ready on 100Gi', world([cache('Ready')], [pvc('100Gi')]), probe(), 'pass', /Every NIMCache is Ready/],
    ['Ready on 50Gi (the model fits)', world([cache('Ready')], [pvc('50Gi')]), probe(), 'pass', /Ready/],
    ['no NIMCache', world([], []), probe(), 'FD-CACHE-001', /No NIMCache/],
    [
      'Failed: the job ran out of disk on 50Gi',
      world([cache('Failed')], [pvc('50Gi')], [failedJob]),
      probe({ 'llama-cache-job-abcde': DISK_FULL_LOG }),
      'FD-CACHE-002',
      /NIMCache llama-cache is Failed: its caching job ran out of disk \("No space left on device" in llama-cache-job-abcde\) and PVC llama-cache-pvc holds 50Gi, under the 100Gi/,
    ],
    [
      'Failed on a small volume, log unreadable',
      world([cache('Failed')], [pvc('50Gi')], [failedJob]),
      probe(),
      'FD-CACHE-002',
      /its caching job fails and PVC llama-cache-pvc holds 50Gi/,
    ],
    [
      'asked to grow, not resized yet',
      world([cache('Failed')], [pvc('100Gi', '50Gi')], []),
      probe(),
      'FD-CACHE-003',
      /was asked to grow to 100Gi; the storage driver has not resized it yet/,
    ],
    [
      'in progress on a small volume',
      world([cache('InProgress')], [pvc('50Gi')]),
      probe(),
      'FD-CACHE-004',
      /InProgress on a 50Gi PVC, under the 100Gi/,
    ],
  ] as const)('%s → %s', (_name, snapshot, p, status, summary) => {
    const r = judge(snapshot, p);
    expect(outcome(r)).toBe(status);
    expect(r.summary).toMatch(summary);
  });

  it('grows the PVC when its StorageClass allows it, guarded on its version', async () => {
    const s = world([cache('Failed')], [pvc('50Gi')], [failedJob]);
    const p = probe({ 'llama-cache-job-abcde': DISK_FULL_LOG });
    expect(availabilityWith(check, s, p, config()).available).toBe(true);
    const plan = await planWith(check, s, p, config());
    expect(plan.changes[0]!.patch).toEqual([
      { op: 'test', path: '/metadata/resourceVersion', value: '41' },
      { op: 'replace', path: '/spec/resources/requests/storage', value: '100Gi' },
    ]);
  });

  it('offers no fix when the StorageClass cannot expand, and says what to do instead', () => {
    const s = world([cache('Failed')], [pvc('50Gi')], [failedJob]);
    const a = availabilityWith(check, s, probe({}, { gp3: false }), config());
    expect(a.available).toBe(false);
    expect(a.reason).toMatch(
      /does not allow volume expansion.*recreate the NIMCache with a larger spec\.storage\.pvc\.size/,
    );
  });

  it.each([
    ['100Gi', 100 * 2 ** 30],
    ['50G', 50e9],
    ['1.5Ti', 1.5 * 2 ** 40],
    ['1024', 1024],
    ['lots', undefined],
  ])('parseQuantity(%s) = %s', (q, n) => {
    expect(parseQuantity(q)).toBe(n);
  });
});

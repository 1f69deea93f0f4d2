import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { holderIsDead, leaseIsStale, lockName, PROCESS_TAG } from './lock';

const host = os.hostname();
const boot = PROCESS_TAG.split(' boot ')[1];

describe('holderIsDead: only a holder known to be gone is', () => {
  it.each([
    ['this process', `alice (${PROCESS_TAG})`, false],
    [
      'this pid in an earlier life (pid 1 in a restarted container)',
      `alice (${host} pid ${process.pid} boot 00000000)`,
      boot !== '00000000',
    ],
    ['a pid that does not exist here', `alice (${host} pid 999999999 boot abcdef01)`, true],
    ['an old-style tag of a live pid', `alice (${host} pid ${process.pid})`, false],
    ['another host (cannot tell)', 'alice (other-host pid 999999999 boot abcdef01)', false],
    ['no tag', undefined, false],
  ])('%s', (_what, holder, dead) => {
    expect(holderIsDead(holder)).toBe(dead);
  });
});

describe('leaseIsStale', () => {
  const lease = (holder: string, renewedAgoMs: number) => ({
    metadata: { name: lockName('ConfigMap ns/x') },
    spec: {
      holderIdentity: holder,
      leaseDurationSeconds: 120,
      renewTime: new Date(Date.now() - renewedAgoMs).toISOString(),
    },
  });
  it.each([
    ['renewed just now by another host', lease('bob (other-host pid 7 boot 01234567)', 1000), false],
    ['not renewed for longer than its duration', lease('bob (other-host pid 7 boot 01234567)', 121_000), true],
    ['held by a process that is gone', lease(`bob (${host} pid 999999999 boot 01234567)`, 1000), true],
    [
      'ours but not held (this process lost the API server before releasing it)',
      lease(`me (${PROCESS_TAG})`, 1000),
      true,
    ],
  ])('%s', (_what, l, stale) => {
    expect(leaseIsStale(l)).toBe(stale);
  });
  it('names one Lease per key, a valid object name', () => {
    expect(lockName('ConfigMap ns/nemo-gateway-config')).toMatch(/^flywheel-doctor-lock-[0-9a-f]{20}$/);
    expect(lockName('a')).not.toBe(lockName('b'));
  });
});

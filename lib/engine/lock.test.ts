import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { KubeApiError } from '../k8s/errors';
import { FixConflictError } from './fix-errors';
import { holderIsDead, leaseIsStale, lockName, PROCESS_TAG, withLocks } from './lock';

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

describe('a Lease this process is still taking', () => {
  /** An API server whose Lease create answers only when released (the Lease is stored at once). */
  function slowCreates() {
    const stored = new Map<string, Record<string, unknown>>();
    const calls: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let creates = 0;
    const client = {
      create: async (_t: unknown, _ns: string, lease: { metadata: { name: string } }) => {
        calls.push('create');
        if (stored.has(lease.metadata.name)) throw new KubeApiError(409, 'AlreadyExists', 'exists');
        stored.set(lease.metadata.name, { ...lease, metadata: { ...lease.metadata, resourceVersion: '1' } });
        if (creates++ === 0) await gate;
        return stored.get(lease.metadata.name);
      },
      get: async (_t: unknown, _ns: string, name: string) => (calls.push('get'), stored.get(name)),
      request: async (method: string) => (calls.push(method), {}),
      delete: async (_t: unknown, _ns: string, name: string) => (calls.push('delete'), stored.delete(name)),
    };
    return { client: client as never, stored, calls, release };
  }

  it('is no leftover to a sweep meanwhile, and a second fix of this process is refused, not handed it', async () => {
    const { client, stored, calls, release } = slowCreates();
    const first = withLocks(client, 'ns', ['fix c'], 'alice', async () => 'applied');
    await expect.poll(() => stored.size).toBe(1);
    const lease = [...stored.values()][0] as never;
    // Stored, not yet answered: a sweep running now leaves it alone.
    expect(leaseIsStale(lease)).toBe(false);
    const second = withLocks(client, 'ns', ['fix c'], 'bob', async () => 'applied');
    await expect(second).rejects.toBeInstanceOf(FixConflictError);
    expect(calls).not.toContain('PUT'); // not taken over
    release();
    expect(await first).toBe('applied');
    // Released: a Lease of ours left on the server after that is a leftover.
    expect(leaseIsStale(lease)).toBe(true);
  });
});

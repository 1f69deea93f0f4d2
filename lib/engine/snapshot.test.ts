import { describe, expect, it } from 'vitest';
import { Snapshot, type HeldObjects } from './snapshot';

const client = (calls: string[]) =>
  ({
    get: async (_t: unknown, _ns: unknown, name: string) => {
      calls.push(`get namespaces/${name}`);
      return { metadata: { name } };
    },
    list: async (type: { plural: string }, _ns: unknown, opts?: { query?: { fieldSelector?: string } }) => {
      calls.push(`list ${type.plural}${opts?.query?.fieldSelector ? ` (${opts.query.fieldSelector})` : ''}`);
      return { items: [{ metadata: { name: `listed-${type.plural}` } }], metadata: {} };
    },
  }) as never;

describe('Snapshot lists', () => {
  it('Events only of type Warning (what checks read), other kinds whole', async () => {
    const calls: string[] = [];
    await Snapshot.load(client(calls), 'ns', ['events', 'pods']);
    expect(calls.sort()).toEqual(['list events (type=Warning)', 'list pods']);
  });
});

describe('Snapshot from objects already held (the watch’s store)', () => {
  const store: HeldObjects = {
    held: (kind) =>
      kind === 'pods'
        ? { items: [{ metadata: { name: 'held-pod' } }] }
        : kind === 'nimcaches'
          ? { items: [], notInstalled: true }
          : undefined,
  };

  it('lists only what the store does not hold, and always reads the namespace itself', async () => {
    const calls: string[] = [];
    const snap = Snapshot.start(
      client(calls),
      'ns',
      ['pods', 'nimcaches', 'deployments', 'namespaces'],
      undefined,
      store,
    );
    await snap.ready();
    expect(calls.sort()).toEqual(['get namespaces/ns', 'list deployments']);
    expect(snap.list('pods').map((p) => p.metadata?.name)).toEqual(['held-pod']);
    expect(snap.notInstalled('nimcaches')).toBe(true);
    expect(snap.list('deployments').map((p) => p.metadata?.name)).toEqual(['listed-deployments']);
  });

  it('without a store lists every kind', async () => {
    const calls: string[] = [];
    await Snapshot.load(client(calls), 'ns', ['pods', 'deployments']);
    expect(calls.sort()).toEqual(['list deployments', 'list pods']);
  });
});

describe('Snapshot already under way (the CLI’s early reads)', () => {
  // Two clients read alike when they share a configuration and both read as the app.
  const reader = (calls: string[], kc: object, kind: 'app' | 'user' = 'app') => {
    const c = client(calls) as unknown as Record<string, unknown>;
    Object.assign(c, {
      kc,
      identity: { kind },
      readsLike: (o: { kc: object; identity: { kind: string } }) =>
        o.kc === kc && kind === 'app' && o.identity.kind === 'app',
    });
    return c as never;
  };
  const kc = {};

  it.each([
    ['the same namespace, read alike', 'ns', kc, 'app', true],
    ['another namespace', 'other', kc, 'app', false],
    ['another configuration', 'ns', {}, 'app', false],
    ['a user’s identity', 'ns', kc, 'user', false],
  ] as const)('%s: adopted %s', async (_, namespace, runKc, identity, adopted) => {
    const calls: string[] = [];
    const early = Snapshot.start(reader(calls, kc), 'ns', ['namespaces', 'pods']);
    const run = early.continueFor(reader(calls, runKc, identity), namespace, ['namespaces', 'pods', 'deployments']);
    expect(run === early).toBe(adopted);
    if (!run) return;
    await run.ready();
    // The kinds already started are not listed again; the missing one is started by the run.
    expect(calls.sort()).toEqual(['get namespaces/ns', 'list deployments', 'list pods']);
    expect(run.list('deployments').map((p) => p.metadata?.name)).toEqual(['listed-deployments']);
  });
});

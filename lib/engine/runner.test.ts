import { describe, expect, it } from 'vitest';
import { configSchema, loadConfig } from '../config';
import { namespaceNotice, runChecks, runOneCheck, verdictOf } from './runner';
import { Snapshot } from './snapshot';
import { defineCheck } from './types';

const config = loadConfig(configSchema({}), { namespace: 'ns', checkTimeoutMs: 200 }, {});
const base = {
  title: 't',
  area: 'Workloads' as const,
  codes: {},
  needs: [],
  explain: { symptom: 's', rootCause: 'r', manualFix: () => [] },
};

describe('runner isolation', () => {
  it('turns a throwing check into an error result', async () => {
    const c = defineCheck({
      ...base,
      id: 'boom',
      judge: () => {
        throw new Error('kaput');
      },
    });
    const r = await runOneCheck(c, new Snapshot('ns'), { client: {} as never, config });
    expect(r.status).toBe('error');
    expect(r.summary).toContain('kaput');
  });
  it('times out a slow probe with a message that says what to do', async () => {
    const c = defineCheck<Record<string, never>, undefined, number>({
      ...base,
      id: 'slow',
      probe: () => new Promise((r) => setTimeout(() => r(1), 5000)),
      judge: () => ({ status: 'pass', summary: '', evidence: [] }),
    });
    const r = await runOneCheck(c, new Snapshot('ns'), { client: {} as never, config });
    expect(r.status).toBe('error');
    expect(r.summary).toMatch(/timed out.*checkTimeoutMs/);
  });
  it('never calls a run with an error healthy', () => {
    expect(verdictOf({ pass: 4, warn: 0, fail: 0, error: 1, skipped: 0, suppressed: 0 })).toBe('incomplete');
    expect(verdictOf({ pass: 5, warn: 0, fail: 0, error: 0, skipped: 0, suppressed: 0 })).toBe('healthy');
    expect(verdictOf({ pass: 3, warn: 1, fail: 1, error: 0, skipped: 0, suppressed: 0 })).toBe('unhealthy');
  });
});

describe('namespaceNotice: every run says when the namespace is being deleted', () => {
  it.each([
    ['Active', { status: { phase: 'Active' } }, undefined],
    [
      'Terminating',
      { status: { phase: 'Terminating' }, metadata: { name: 'ns', deletionTimestamp: '2026-12-04T10:00:00Z' } },
      /namespace ns is being deleted \(Terminating since 2026-12-04T10:00:00Z\)/,
    ],
    ['unreadable', new Error('forbidden'), undefined],
  ])('%s', (_what, namespaceObject, notice) => {
    const snap = Snapshot.fromFixture('ns', { namespaceObject: namespaceObject as never });
    if (notice) expect(namespaceNotice(snap)).toMatch(notice);
    else expect(namespaceNotice(snap)).toBeUndefined();
  });
});

describe('one round of reads', () => {
  /** A client whose pods list answers only when released; everything else answers at once. */
  function gatedClient() {
    let release!: () => void;
    const podsGate = new Promise<void>((r) => (release = r));
    const calls: string[] = [];
    const client = {
      get: async (_t: unknown, _ns: unknown, name: string) => {
        calls.push(`get ${name}`);
        return { metadata: { name } };
      },
      list: async (type: { plural: string }) => {
        calls.push(`list ${type.plural}`);
        if (type.plural === 'pods') await podsGate;
        return { items: [], metadata: {} };
      },
    };
    return { client: client as never, release, calls };
  }
  const pass = () => ({ status: 'pass' as const, summary: 'ok', evidence: [] });
  /** A check whose probe reads pod logs (the API, after the lists); it notes when it starts. */
  const readsLogsCheck = (started: string[]) =>
    defineCheck<Record<string, never>, undefined, undefined>({
      ...base,
      id: 'reads-logs',
      needs: ['pods'],
      probePermissions: () => [{ verb: 'get', group: '', resource: 'pods', subresource: 'log' }],
      locate: () => void started.push('reads-logs'),
      probe: async () => undefined,
      judge: pass,
    });

  it('a check judges as soon as its own reads are in, not after the slowest list', async () => {
    const { client, release } = gatedClient();
    const order: string[] = [];
    const fast = defineCheck({ ...base, id: 'fast', needs: ['deployments'], judge: pass });
    const slow = defineCheck({ ...base, id: 'slow', needs: ['pods'], judge: pass });
    const done = runChecks({ client, config, registry: [slow, fast], onResult: (r) => order.push(r.id) }, 'run-1');
    await expect.poll(() => order).toEqual(['fast']);
    release();
    const run = await done;
    expect(order).toEqual(['fast', 'slow']);
    expect(run.checks.map((c) => c.id)).toEqual(['slow', 'fast']); // reports keep registry order
  });

  it('when one list lets several checks start, probes that read the API after the lists go first, then other probes; reports keep registry order', async () => {
    const { client, release } = gatedClient();
    const started: string[] = [];
    const judgeOnly = defineCheck({
      ...base,
      id: 'judge-only',
      needs: ['pods'],
      locate: () => void started.push('judge-only'),
      judge: pass,
    });
    const probing = defineCheck<Record<string, never>, undefined, undefined>({
      ...base,
      id: 'probing',
      needs: ['pods'],
      locate: () => void started.push('probing'),
      probe: async () => undefined,
      judge: pass,
    });
    const readsLogs = readsLogsCheck(started);
    // Its API reads go out with the lists (prefetch): its probe has none left to send.
    const asksUpFront = defineCheck<Record<string, never>, undefined, undefined>({
      ...base,
      id: 'asks-up-front',
      needs: ['pods'],
      probePermissions: () => [{ verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' }],
      prefetch: async () => undefined,
      locate: () => void started.push('asks-up-front'),
      probe: async () => undefined,
      judge: pass,
    });
    const registry = [judgeOnly, asksUpFront, probing, readsLogs];
    const done = runChecks({ client, config, registry }, 'run-3');
    release();
    const run = await done;
    expect(started).toEqual(['reads-logs', 'asks-up-front', 'probing', 'judge-only']);
    expect(run.checks.map((c) => c.id)).toEqual(registry.map((c) => c.id));
  });

  it('a probe whose list arrives while others wait their turn starts next, ahead of the checks that only judge', async () => {
    const { client, release } = gatedClient();
    const started: string[] = [];
    const judges = ['judge-1', 'judge-2', 'judge-3'].map((id) =>
      defineCheck({
        ...base,
        id,
        needs: ['deployments'],
        // The pods list arrives during the first judge's turn.
        locate: () => void (started.push(id), id === 'judge-1' && release()),
        judge: pass,
      }),
    );
    const readsLogs = readsLogsCheck(started);
    await runChecks({ client, config, registry: [...judges, readsLogs] }, 'run-4');
    expect(started).toEqual(['judge-1', 'reads-logs', 'judge-2', 'judge-3']);
  });

  it('asks what the configuration names with the lists, and hands the answer to the probe', async () => {
    const { client, release, calls } = gatedClient();
    let seen: unknown;
    const early = defineCheck<Record<string, never>, undefined, unknown>({
      ...base,
      id: 'early',
      needs: ['pods'],
      prefetch: async () => {
        calls.push('prefetch');
        return 'answer';
      },
      probe: async ({ prefetched }) => (seen = await prefetched),
      judge: pass,
    });
    const done = runChecks({ client, config, registry: [early] }, 'run-2');
    // Asked while the pods list is still out.
    await expect.poll(() => calls).toContain('prefetch');
    expect(seen).toBeUndefined();
    release();
    await done;
    expect(seen).toBe('answer');
  });
});

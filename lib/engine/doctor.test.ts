import { describe, expect, it, vi } from 'vitest';
import { configSchema, loadConfig } from '../config';
import type { KubeAccess } from '../k8s/client';
import { KubeApiError } from '../k8s/errors';
import { FixConflictError } from './fix-errors';
import type { ReportStore } from '../report/store';
import { Doctor } from './doctor';
import { defineCheck } from './types';

const config = loadConfig(configSchema({}), { namespace: 'ns' }, {});
const explain = { symptom: 's', rootCause: 'r', manualFix: () => ['oc get pods'] };

/** A doctor over a fake cluster whose pod list takes `delayMs` and counts the lists made. */
function fakeDoctor(delayMs: number) {
  let lists = 0;
  const client = {
    list: async () => {
      lists++;
      await new Promise((r) => setTimeout(r, delayMs));
      return { items: [] };
    },
  };
  const access = { app: () => client } as unknown as KubeAccess;
  const checks = ['c', 'd'].map((id) =>
    defineCheck({
      id,
      title: 't',
      area: 'a',
      codes: {},
      needs: ['pods'],
      explain,
      judge: () => ({ status: 'pass', summary: 'ok', evidence: [] }),
    }),
  );
  return { doctor: new Doctor(access, config, checks, {} as ReportStore), lists: () => lists };
}

describe('Doctor runs', () => {
  it('coalesces a burst of identical runs into the one in flight', async () => {
    const { doctor, lists } = fakeDoctor(50);
    const ids = new Set(Array.from({ length: 50 }, () => doctor.startRun().id));
    expect(ids.size).toBe(1);
    const finished = await doctor.run(undefined, 'request');
    expect(finished.id).toBe([...ids][0]);
    expect(lists()).toBe(1);
  });
  it.each([
    // [what asks after the first run, how long after it started (ms), same run?]
    ['a request while it is in flight', 'request', 10, true],
    ['a request just after it finished (the tail of a burst)', 'request', 500, true],
    ['a request once the share window has passed', 'request', 2500, false],
    ['the engine (fresh) while it is in flight', 'fresh', 10, false],
    ['the engine (fresh) just after it finished', 'fresh', 500, false],
  ] as const)('%s: shares the run = %s', async (_what, sharing, afterMs, same) => {
    vi.useFakeTimers();
    try {
      const { doctor } = fakeDoctor(100);
      const first = doctor.startRun();
      await vi.advanceTimersByTimeAsync(afterMs);
      const second = doctor.run(undefined, sharing);
      await vi.advanceTimersByTimeAsync(200);
      expect((await second).id === first.id).toBe(same);
    } finally {
      vi.useRealTimers();
    }
  });
  it('a request during a fresh run joins the fresh one (it read later)', async () => {
    const { doctor, lists } = fakeDoctor(50);
    const old = doctor.startRun();
    const fresh = doctor.run();
    const request = doctor.startRun();
    expect(request.id).not.toBe(old.id);
    expect(request.id).toBe((await fresh).id);
    expect(lists()).toBe(2);
  });
  it('a request does not share a run the cache has dropped (it could not be fetched by id)', async () => {
    const { doctor } = fakeDoctor(0);
    await doctor.run(['c'], 'request');
    for (let i = 0; i < 55; i++) await doctor.run(['d']); // fresh runs of another set push it out
    const again = doctor.startRun(['c']);
    expect(again).toBeDefined();
    expect(doctor.getRun(again.id)).toBeDefined();
  });
  it('runs of other check sets are not shared', async () => {
    const { doctor } = fakeDoctor(50);
    expect(doctor.startRun(['c', 'd']).id).toBe(doctor.startRun(['d', 'c']).id); // the same set in another order
    expect(doctor.startRun(['c', 'd']).id).toBe(doctor.startRun().id); // all of them, named or not
    expect(doctor.startRun(['d']).id).not.toBe(doctor.startRun(['c']).id);
  });
  it('a run that was awaited can be fetched by its id afterwards', async () => {
    const { doctor } = fakeDoctor(1);
    const run = await doctor.run();
    expect(doctor.getRun(run.id)).toMatchObject({ id: run.id, state: 'done', verdict: 'healthy' });
  });
  it('keeps the last 50 runs, oldest dropped first, each as it was', async () => {
    const { doctor } = fakeDoctor(0);
    const runs = [];
    for (let i = 0; i < 55; i++) runs.push(await doctor.run());
    expect(runs.slice(0, 5).map((r) => doctor.getRun(r.id))).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    for (const r of runs.slice(5)) expect(doctor.getRun(r.id)).toEqual(r);
  });
  it('refuses unknown check ids before starting anything', () => {
    const { doctor, lists } = fakeDoctor(1);
    expect(() => doctor.startRun(['nope'])).toThrow(/unknown check id/);
    expect(lists()).toBe(0);
  });
});

describe('when the API server does not answer', () => {
  it('the run says so once, instead of one error per check', async () => {
    const down = () =>
      Promise.reject(new KubeApiError(0, 'timed out', 'timed out after 15000 ms waiting for the API server'));
    const access = { app: () => ({ list: down, get: down }) } as unknown as KubeAccess;
    const checks = ['a', 'b'].map((id) =>
      defineCheck({
        id,
        title: id,
        area: 'x',
        codes: {},
        needs: ['pods'],
        explain,
        judge: () => ({ status: 'pass', summary: 'ok', evidence: [] }),
      }),
    );
    const run = await new Doctor(access, config, checks, {} as ReportStore).run();
    expect(run.error).toMatch(/^could not reach the Kubernetes API: .*timed out/);
    expect(run.verdict).toBe('incomplete');
    expect(run.checks.every((c) => c.status === 'error')).toBe(true);
  });
});

describe('the fix lock', () => {
  it('does not wait for a holder on this host whose process is gone, and waits for a live or remote one', async () => {
    const { holderIsDead } = await import('./lock');
    const host = 'node-a';
    expect(holderIsDead(`alice (node-a pid ${process.pid})`, host)).toBe(false);
    expect(holderIsDead('alice (node-a pid 999999999)', host)).toBe(true);
    expect(holderIsDead('alice (node-b pid 999999999)', host)).toBe(false);
    expect(holderIsDead(undefined, host)).toBe(false);
  });
});

describe('a fix that fails midway', () => {
  /** A check whose fix patches a ConfigMap, then restarts a Deployment; `second` is the restart's answer. */
  async function twoSteps(second: () => never) {
    const { executeFix } = await import('./fix');
    let patches = 0;
    const client = {
      list: async () => ({ items: [] }),
      get: async () => ({ metadata: { name: 'gw', generation: 1 }, spec: { template: { metadata: {} } } }),
      create: async () => ({}),
      delete: async () => ({}),
      jsonPatch: async () => (++patches === 1 ? {} : second()),
    };
    const check = defineCheck({
      id: 'two-steps',
      title: 't',
      area: 'a',
      codes: {},
      needs: ['pods'],
      explain,
      judge: () => ({ status: 'fail', summary: 'broken', evidence: [] }),
      fix: {
        description: 'two steps',
        permissions: () => [],
        plan: () => ({ noop: false, summary: 's', changes: [], risks: [], guards: [], data: undefined }),
        steps: () => [
          { kind: 'patch', label: 'update ConfigMap gw-config', resource: 'configmaps', name: 'gw-config', ops: [] },
          { kind: 'restart', label: 'restart Deployment gw', deployment: 'gw' },
        ],
        readBack: async () => [
          { step: 'ConfigMap updated', done: true },
          { step: 'gateway restarted', done: false },
        ],
      },
    });
    return executeFix({ check, config, reader: client as never, actor: client as never, dryRun: false }).catch(
      (e: Error) => e,
    );
  }

  it('says which steps are in effect, read back from the cluster, and that the next plan finishes', async () => {
    const err = await twoSteps(() => {
      throw new KubeApiError(0, 'down', 'the API went away');
    });
    expect((err as Error).message).toMatch(/fix failed at step 2 of 2: the API went away/);
    expect((err as Error).message).toMatch(
      /1\. update ConfigMap gw-config: applied; 2\. restart Deployment gw: failed/,
    );
    expect((err as Error).message).toMatch(
      /in effect: ConfigMap updated; not in effect: gateway restarted\. Run the fix again/,
    );
  });

  it('a conflict in step 2 reports step 1 as applied (not "nothing was overwritten ... not applied")', async () => {
    const err = await twoSteps(() => {
      throw new KubeApiError(409, 'Conflict', 'the object has been modified');
    });
    expect(err).toBeInstanceOf(FixConflictError);
    expect((err as Error).message).toMatch(
      /^partly applied: 1\. update ConfigMap gw-config: applied; 2\. restart Deployment gw: refused\. Step 2 was refused because another change landed first.*Run the fix again: its plan does what is left/,
    );
  });

  it('a 422 about an object whose name contains "test" is a failure, not a guard conflict', async () => {
    const err = await twoSteps(() => {
      throw new KubeApiError(422, 'Invalid', 'Deployment.apps "gw-test" is invalid: spec.replicas: Invalid value: -1');
    });
    expect(err).not.toBeInstanceOf(FixConflictError);
    expect((err as Error).message).toMatch(/fix failed at step 2 of 2/);
  });
});

describe('fixPermission', () => {
  it('is never "allowed" when what the fix would change could not be read', async () => {
    const down = new KubeApiError(0, 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:6443');
    const client = {
      list: async () => {
        throw down;
      },
      get: async () => {
        throw down;
      },
      request: async () => ({ status: { allowed: true, userInfo: { username: 'alice' } } }),
    };
    const access = { app: () => client, as: () => client } as unknown as KubeAccess;
    const check = defineCheck({
      id: 'role-fix',
      title: 't',
      area: 'a',
      codes: {},
      needs: ['roles'],
      explain,
      locate: (s) => s.list('roles'),
      judge: () => ({ status: 'fail', summary: 'broken', evidence: [] }),
      fix: {
        description: 'd',
        permissions: () => [{ verb: 'create', group: '', resource: 'configmaps', namespace: 'ns' }],
        plan: () => ({ noop: true, summary: 's', changes: [], risks: [], guards: [], data: undefined }),
        steps: () => [],
      },
    });
    const doctor = new Doctor(access, config, [check], {} as ReportStore);
    const p = await doctor.fixPermission('role-fix');
    expect(p.allowed).toBe(false);
    expect(p.missing[0]!.permission).toMatch(/unknown \(what this fix would change could not be read: .*ECONNREFUSED/);
  });
});

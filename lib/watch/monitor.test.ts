import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Doctor } from '../engine/doctor';
import type { HistoryStore } from './history';
import { CUSTOM_RESOURCES } from '../../checks/reads';
import { defineResources } from '../k8s/resources';
import { NamespaceMonitor } from './monitor';
import type { HistoryEntry } from './history';

/** A monitor over a fake doctor whose runs are counted; events are fed as the watch would. */
function monitorWith(opts: { debounceMs?: number; maxWaitMs?: number } = {}) {
  const runs: number[] = [];
  const doctor = {
    config: { namespace: 'flywheel' },
    registry: [{ id: 'gateway-models', needs: ['configmaps'], runsPods: false }],
    run: vi.fn(async () => {
      runs.push(Date.now());
      return { id: `r${runs.length}`, checks: [{ id: 'gateway-models', status: 'pass' }] };
    }),
  } as unknown as Doctor;
  const history = { append: async () => undefined } as unknown as HistoryStore;
  const monitor = new NamespaceMonitor({ doctor, history, ...opts });
  let n = 0;
  const change = () =>
    (monitor as unknown as { onChange(k: string, e: string, o: object): void }).onChange('configmaps', 'MODIFIED', {
      metadata: { name: 'nemo-gateway-config', annotations: { touched: String(n++) } },
    });
  return { runs, change };
}

describe('the watch under a flood of changes', () => {
  afterEach(() => vi.useRealTimers());

  it.each([
    { debounceMs: 1000, maxWaitMs: undefined, maxWait: 5000 },
    { debounceMs: 500, maxWaitMs: 2000, maxWait: 2000 },
  ])('a change every 0.4 s for 30 s runs at least every $maxWait ms', async ({ debounceMs, maxWaitMs, maxWait }) => {
    vi.useFakeTimers();
    const t0 = Date.now();
    const { runs, change } = monitorWith({ debounceMs, maxWaitMs });
    for (let t = 0; t < 30_000; t += 400) {
      change();
      await vi.advanceTimersByTimeAsync(400);
    }
    await vi.advanceTimersByTimeAsync(debounceMs);
    // Gaps between runs (and before the first) never exceed the maximum wait (+ one event interval).
    const gaps = [runs[0]! - t0, ...runs.slice(1).map((r, i) => r - runs[i]!)];
    expect(runs.length).toBeGreaterThanOrEqual(Math.floor(30_000 / (maxWait + 400)));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(maxWait + 400);
  });

  it('a single burst still becomes one run after the quiet period', async () => {
    vi.useFakeTimers();
    const { runs, change } = monitorWith({ debounceMs: 1000 });
    for (let i = 0; i < 3; i++) {
      change();
      await vi.advanceTimersByTimeAsync(100);
    }
    await vi.advanceTimersByTimeAsync(1000);
    expect(runs).toHaveLength(1);
  });
});

describe('what names a history entry', () => {
  defineResources(CUSTOM_RESOURCES); // NemoEvaluator, as the checks define it
  afterEach(() => vi.useRealTimers());

  const cr = {
    metadata: { name: 'nemoevaluator-sample', managedFields: [{ manager: 'kubectl-patch', time: 't1' }] },
    spec: { env: [{ name: 'NIM_PROXY_URL', value: 'http://nim:8000' }] },
  };
  const rendered = (n: number) => ({
    metadata: {
      name: 'nemoevaluator',
      managedFields: [{ manager: 'nim-operator', time: 't2' }],
      ownerReferences: [
        {
          apiVersion: 'apps.nvidia.com/v1alpha1',
          kind: 'NemoEvaluator',
          name: 'nemoevaluator-sample',
          uid: 'u',
          controller: true,
        },
      ],
    },
    spec: { replicas: n },
  });

  /** A monitor whose runs report the status the test sets; entries are collected as recorded. */
  function recording() {
    let status = 'fail';
    const entries: HistoryEntry[] = [];
    const doctor = {
      config: { namespace: 'flywheel' },
      registry: [{ id: 'evaluator-nim-proxy-url', needs: ['deployments', 'nemoevaluators'], runsPods: false }],
      run: vi.fn(async () => ({ id: 'r', checks: [{ id: 'evaluator-nim-proxy-url', status }] })),
    } as unknown as Doctor;
    const history = { append: async () => undefined } as unknown as HistoryStore;
    const monitor = new NamespaceMonitor({ doctor, history, debounceMs: 100, onEntry: (e) => entries.push(e) });
    const internals = monitor as unknown as {
      last: Record<string, string>;
      onChange(k: string, e: string, o: object): void;
      running: Promise<void>;
    };
    internals.last = { 'evaluator-nim-proxy-url': 'fail' };
    return {
      entries,
      setStatus: (s: string) => (status = s),
      change: (kind: string, obj: object) => internals.onChange(kind, 'MODIFIED', obj),
      settle: async () => {
        await vi.advanceTimersByTimeAsync(100);
        await internals.running;
      },
    };
  }

  it("a person's change names the burst even when the controller's response arrives first", async () => {
    vi.useFakeTimers();
    const m = recording();
    m.change('deployments', rendered(1));
    m.change('nemoevaluators', cr);
    m.setStatus('pass');
    await m.settle();
    expect(m.entries.map((e) => [e.trigger?.kind, e.trigger?.changedBy, e.trigger?.then])).toEqual([
      ['NemoEvaluator', 'kubectl-patch', undefined],
    ]);
  });

  it('a change that takes effect only once its controller re-renders is named by that change, then the render', async () => {
    vi.useFakeTimers();
    const m = recording();
    m.change('nemoevaluators', cr);
    await m.settle(); // the run still fails: the Deployment has not been re-rendered
    expect(m.entries).toEqual([]);
    m.setStatus('pass');
    m.change('deployments', rendered(2));
    await m.settle();
    expect(m.entries.map((e) => e.trigger)).toEqual([
      expect.objectContaining({
        kind: 'NemoEvaluator',
        name: 'nemoevaluator-sample',
        then: { kind: 'Deployment', name: 'nemoevaluator', changedBy: 'nim-operator' },
      }),
    ]);
  });

  it("a controller's change with no earlier cause names itself", async () => {
    vi.useFakeTimers();
    const m = recording();
    m.setStatus('pass');
    m.change('deployments', rendered(3));
    await m.settle();
    expect(m.entries.map((e) => [e.trigger?.kind, e.trigger?.then])).toEqual([['Deployment', undefined]]);
  });
});

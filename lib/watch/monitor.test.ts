import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Doctor } from '../engine/doctor';
import type { HistoryStore } from './history';
import { NamespaceMonitor } from './monitor';

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

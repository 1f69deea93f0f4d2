import type { CheckStatus, RunSummary, Verdict } from './types';

// Pure and dependency-free: the runner and the dashboard (after a fix replaces one result) share it.

export function emptySummary(): RunSummary {
  return { pass: 0, warn: 0, fail: 0, error: 0, skipped: 0, suppressed: 0 };
}

/** Counts a result under its status, or under `suppressed` when the configuration accepted it. */
export function countResult(s: RunSummary, r: { status: CheckStatus; suppressed?: unknown }): void {
  s[r.suppressed ? 'suppressed' : r.status] += 1;
}

export function summarize(results: ReadonlyArray<{ status: CheckStatus; suppressed?: unknown }>): RunSummary {
  const s = emptySummary();
  for (const r of results) countResult(s, r);
  return s;
}

/** A run with any `error` is never healthy: we could not look, so we cannot say. */
export function verdictOf(s: RunSummary): Verdict {
  if (s.fail > 0) return 'unhealthy';
  if (s.error > 0) return 'incomplete';
  if (s.warn > 0) return 'degraded';
  return 'healthy';
}

import type { CheckResult, RunResult } from './api';

/** One check across two runs: its status in each, and the evidence rows that differ. */
export interface CheckChange {
  id: string;
  title: string;
  before?: CheckResult['status'];
  after?: CheckResult['status'];
  evidence: Array<{ label: string; before?: string; after?: string }>;
}

/** What changed from run `a` to run `b`: every check in either, status and evidence compared. */
export function compareRuns(a: RunResult, b: RunResult): CheckChange[] {
  const ids = [...new Set([...a.checks.map((c) => c.id), ...b.checks.map((c) => c.id)])];
  return ids.map((id) => {
    const x = a.checks.find((c) => c.id === id);
    const y = b.checks.find((c) => c.id === id);
    const labels = [...new Set([...(x?.evidence ?? []), ...(y?.evidence ?? [])].map((e) => e.label))];
    const evidence = labels
      .map((label) => ({
        label,
        before: x?.evidence.find((e) => e.label === label)?.value,
        after: y?.evidence.find((e) => e.label === label)?.value,
      }))
      .filter((e) => e.before !== e.after);
    return { id, title: y?.title ?? x?.title ?? id, before: x?.status, after: y?.status, evidence };
  });
}

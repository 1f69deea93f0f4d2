import type { CheckResult } from '../lib/api';

type Status = CheckResult['status'] | 'running';

const STYLE: Record<Status, string> = {
  pass: 'bg-green-100 text-green-900 ring-green-600/30 dark:bg-green-900/40 dark:text-green-200',
  warn: 'bg-amber-100 text-amber-900 ring-amber-600/30 dark:bg-amber-900/40 dark:text-amber-200',
  fail: 'bg-red-100 text-red-900 ring-red-600/30 dark:bg-red-900/40 dark:text-red-200',
  error: 'bg-purple-100 text-purple-900 ring-purple-600/30 dark:bg-purple-900/40 dark:text-purple-200',
  skipped: 'bg-slate-100 text-slate-700 ring-slate-500/30 dark:bg-slate-800 dark:text-slate-300',
  running: 'bg-sky-100 text-sky-900 ring-sky-600/30 dark:bg-sky-900/40 dark:text-sky-200',
};
const LABEL: Record<Status, string> = {
  pass: 'Pass',
  warn: 'Warn',
  fail: 'Fail',
  error: 'Error',
  skipped: 'Skipped',
  running: 'Running…',
};

export function StatusBadge({ status }: { status: Status }) {
  return (
    <span
      data-status={status}
      className={`inline-flex min-w-16 justify-center rounded-md px-2 py-0.5 text-xs font-semibold ring-1 ring-inset ${STYLE[status]}`}
    >
      {LABEL[status]}
    </span>
  );
}

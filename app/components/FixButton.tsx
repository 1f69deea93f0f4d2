'use client';
import { useQuery } from '@tanstack/react-query';
import type { CheckResult } from '../lib/api';
import { doctorQueries } from '../lib/queries';

/** The Fix button, disabled with the missing permission when the acting identity may not apply it. */
export function FixButton({ check, namespace, onOpen }: { check: CheckResult; namespace: string; onOpen: () => void }) {
  const perm = useQuery(doctorQueries.permission(namespace, check.id));
  const denied = perm.data && !perm.data.allowed;
  const reason = denied
    ? `You cannot apply this fix: missing ${perm.data.missing.map((m) => m.permission).join(', ')}. An admin can run: ${perm.data.missing.map((m) => m.command).join(' ; ')}`
    : undefined;
  return (
    <span className="flex flex-col items-end">
      <button
        type="button"
        onClick={onOpen}
        disabled={!perm.data || denied}
        aria-label={`Fix ${check.title}`}
        aria-describedby={denied ? `perm-${check.id}` : undefined}
        title={reason}
        className="rounded bg-sky-700 px-3 py-1 text-sm font-semibold text-white hover:bg-sky-800 disabled:cursor-not-allowed disabled:bg-slate-400 dark:disabled:bg-slate-700"
      >
        Fix
      </button>
      {denied && (
        <span
          id={`perm-${check.id}`}
          role="note"
          className="mt-1 max-w-xs text-right text-xs text-slate-600 dark:text-slate-400"
        >
          Missing permission: {perm.data.missing.map((m) => m.permission).join(', ')}.<br />
          <code className="break-all">{perm.data.missing[0]?.command}</code>
        </span>
      )}
    </span>
  );
}

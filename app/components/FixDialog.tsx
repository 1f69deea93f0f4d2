'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api, ApiError, type CheckResult, type FixOutcome, type PublicPlan } from '../lib/api';
import { compact, lineDiff } from '@/lib/diff';
import { doctorKeys, doctorQueries } from '../lib/queries';
import { StatusBadge } from './StatusBadge';

function Diff({ before, after }: { before: string; after: string }) {
  const lines = compact(lineDiff(before, after));
  return (
    <pre
      aria-label="Diff"
      className="max-h-72 overflow-auto rounded bg-slate-100 p-2 font-mono text-xs dark:bg-slate-800"
    >
      {lines.map((l, i) =>
        l.kind === 'skip' ? (
          <div key={i} className="text-slate-600 dark:text-slate-400">
            ⋯ {l.count} unchanged line(s)
          </div>
        ) : (
          <div
            key={i}
            className={
              l.kind === 'add'
                ? 'bg-green-200/60 text-green-950 dark:bg-green-900/50 dark:text-green-100'
                : l.kind === 'del'
                  ? 'bg-red-200/60 text-red-950 dark:bg-red-900/50 dark:text-red-100'
                  : ''
            }
          >
            {l.kind === 'add' ? '+ ' : l.kind === 'del' ? '- ' : '  '}
            {l.text}
          </div>
        ),
      )}
    </pre>
  );
}

function PlanView({ plan }: { plan: PublicPlan }) {
  return (
    <div className="space-y-3">
      <p className="font-medium">{plan.summary}</p>
      <ul className="space-y-3">
        {plan.changes.map((c, i) => (
          <li key={i} className="rounded border border-slate-200 p-2 dark:border-slate-700">
            <p className="text-sm">
              <span className="font-semibold uppercase">{c.action}</span> <span className="font-mono">{c.target}</span>:{' '}
              {c.description}
            </p>
            {c.before !== undefined && c.after !== undefined && <Diff before={c.before} after={c.after} />}
            {c.manifest !== undefined && (
              <details className="mt-1 text-sm">
                <summary className="cursor-pointer">
                  {c.target.startsWith('Pod ') ? 'Pod spec that will run' : 'Object that will be created'}
                </summary>
                <pre className="max-h-60 overflow-auto rounded bg-slate-100 p-2 font-mono text-xs dark:bg-slate-800">
                  {JSON.stringify(c.manifest, null, 2)}
                </pre>
              </details>
            )}
          </li>
        ))}
      </ul>
      {plan.risks.length > 0 && (
        <div
          role="note"
          aria-label="Risks"
          className="rounded border border-amber-400 bg-amber-50 p-2 text-sm text-amber-950 dark:border-amber-600 dark:bg-amber-950/40 dark:text-amber-100"
        >
          <p className="font-semibold">Before you apply</p>
          <ul className="list-disc pl-5">
            {plan.risks.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

/** Preview (server-side dry run) -> confirm -> apply with progress -> verified result. */
export function FixDialog({
  check,
  namespace,
  onClose,
  onApplied,
}: {
  check: CheckResult;
  namespace: string;
  onClose: () => void;
  onApplied: (verified: CheckResult, outcome: FixOutcome) => void;
}) {
  const qc = useQueryClient();
  const [progress, setProgress] = useState<string[]>([]);
  const [target, setTarget] = useState<string>();
  const plan = useQuery(doctorQueries.plan(namespace, check.id, target));
  // The picker keeps the targets of the unrestricted plan while a restricted one loads.
  const [targets, setTargets] = useState<string[]>([]);
  const offered = !target ? plan.data?.plan.targets : undefined;
  if (offered && offered.join('\n') !== targets.join('\n')) setTargets(offered);
  const apply = useMutation({
    mutationFn: () => api.applyFix(check.id, namespace, target, plan.data!.plan, (s) => setProgress((p) => [...p, s])),
    // A 409 means the plan changed since this preview: show the new one to confirm instead.
    onError: (e) => {
      if (e instanceof ApiError && e.status === 409)
        void qc.invalidateQueries({ queryKey: doctorQueries.plan(namespace, check.id, target).queryKey });
    },
    onSuccess: (outcome) => {
      if ('verified' in outcome) onApplied(outcome.verified, outcome);
      void qc.invalidateQueries({ queryKey: doctorKeys.namespace(namespace) });
      void qc.invalidateQueries({ queryKey: doctorKeys.reports() });
    },
  });
  const titleId = `fix-title-${check.id}`;
  const result = apply.data && 'verified' in apply.data ? apply.data.verified : undefined;
  const { ref, close, onCancel } = useModal(onClose, apply.isPending);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      onCancel={onCancel}
      className="m-auto w-[min(56rem,95vw)] rounded-lg bg-white p-0 text-slate-900 shadow-xl backdrop:bg-black/50 dark:bg-slate-900 dark:text-slate-100"
    >
      <div className="space-y-4 p-5">
        <h2 id={titleId} className="text-lg font-semibold">
          Fix: {check.title}
        </h2>
        {targets.length > 1 && (
          <label className="flex items-center gap-2 text-sm">
            Apply to
            <select
              value={target ?? ''}
              disabled={apply.isPending || apply.isSuccess}
              onChange={(e) => setTarget(e.target.value || undefined)}
              className="rounded border border-slate-300 bg-white px-2 py-1 dark:border-slate-600 dark:bg-slate-800"
            >
              <option value="">all {targets.length} workloads</option>
              {targets.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
        )}
        {plan.isPending && <p role="status">Computing the plan (server-side dry run)…</p>}
        {plan.isError && (
          <div
            role="alert"
            className="rounded border border-red-400 bg-red-50 p-2 text-sm text-red-900 dark:bg-red-950/40 dark:text-red-100"
          >
            <p className="font-semibold">Cannot plan this fix</p>
            <p>{plan.error.message}</p>
          </div>
        )}
        {plan.data &&
          (plan.data.plan.noop ? (
            <p role="status">Nothing to change: {plan.data.plan.summary}</p>
          ) : (
            <PlanView plan={plan.data.plan} />
          ))}
        {plan.data && 'dryRunValidated' in plan.data && plan.data.dryRunValidated && !apply.data && (
          <p className="text-sm text-slate-600 dark:text-slate-400">
            The API server accepted these changes in a dry run as the acting identity.
          </p>
        )}
        {(apply.isPending || progress.length > 0) && (
          <section aria-label="Progress" aria-live="polite" className="text-sm">
            <h3 className="font-semibold">Progress</h3>
            <ol className="list-decimal pl-5">
              {progress.map((p, i) => (
                <li key={i}>{p}</li>
              ))}
            </ol>
            {apply.isPending && (
              <p role="status" className="mt-1">
                Applying…
              </p>
            )}
          </section>
        )}
        {apply.isError && (
          <div
            role="alert"
            className="rounded border border-red-400 bg-red-50 p-2 text-sm text-red-900 dark:bg-red-950/40 dark:text-red-100"
          >
            <p className="font-semibold">
              {apply.error instanceof ApiError && apply.error.status === 409
                ? 'Not applied: the cluster changed'
                : 'The fix failed'}
            </p>
            <p>{apply.error.message}</p>
            <p className="mt-1">Re-run the checks to see the cluster&apos;s current state.</p>
          </div>
        )}
        {result && (
          <div
            role="status"
            aria-label="Verified result"
            className="flex items-center gap-2 rounded border border-slate-200 p-2 dark:border-slate-700"
          >
            <StatusBadge status={result.status} />
            <span>Verified after the fix: {result.summary}</span>
          </div>
        )}
        <DialogActions onClose={close} busy={apply.isPending} done={apply.isSuccess}>
          {!apply.isSuccess && (
            <button
              type="button"
              onClick={() => apply.mutate()}
              disabled={!plan.data || plan.data.plan.noop || apply.isPending}
              className="rounded bg-sky-700 px-3 py-1.5 font-semibold text-white hover:bg-sky-800 disabled:opacity-50"
            >
              {apply.isPending ? 'Applying…' : 'Apply'}
            </button>
          )}
        </DialogActions>
      </div>
    </dialog>
  );
}

/** A dialog's buttons: Cancel (Close once done, disabled while busy), then the dialog's own action. */
export function DialogActions({
  onClose,
  busy,
  done,
  children,
}: {
  onClose: () => void;
  busy: boolean;
  done: boolean;
  children?: React.ReactNode;
}) {
  return (
    <div className="flex justify-end gap-2">
      <button
        type="button"
        onClick={onClose}
        disabled={busy}
        className="rounded border border-slate-300 px-3 py-1.5 hover:bg-slate-100 disabled:opacity-50 dark:border-slate-600 dark:hover:bg-slate-800"
      >
        {done ? 'Close' : 'Cancel'}
      </button>
      {children}
    </div>
  );
}

/** A modal <dialog> opened on mount; Escape and close() end it, except while it is busy. */
export function useModal(onClose: () => void, busy: boolean) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    // Focus goes back where it was (the button that opened the dialog) when it closes.
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.showModal();
    return () => opener?.focus();
  }, []);
  return {
    ref,
    close: () => {
      ref.current?.close();
      onClose();
    },
    onCancel: (e: React.SyntheticEvent) => {
      if (busy) e.preventDefault();
      else onClose();
    },
  };
}

// Loaded on demand (next/dynamic): the dialog is not in the dashboard's first load.
export default FixDialog;

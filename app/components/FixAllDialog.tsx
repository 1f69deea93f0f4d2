'use client';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, type FixAllResult, type RunResult } from '../lib/api';
import { DialogActions, useModal } from './FixDialog';
import { StatusBadge } from './StatusBadge';

type Step = FixAllResult['steps'][number];

function Steps({ steps, caption }: { steps: Step[]; caption: string }) {
  return (
    <ol aria-label={caption} className="list-decimal space-y-2 pl-6 text-sm">
      {steps.map((st) => (
        <li key={st.checkId} data-testid={`fix-all-step-${st.checkId}`}>
          <span className="font-mono">{st.checkId}</span> <StatusBadge status={st.before} />{' '}
          <span className="font-semibold">{st.outcome}</span>
          {st.verified && (
            <>
              {' '}
              → verified <StatusBadge status={st.verified} />
            </>
          )}
          <p className="text-slate-600 dark:text-slate-400">{st.summary}</p>
        </li>
      ))}
    </ol>
  );
}

/**
 * Fix all: the ordered plan (dependencies and fixes a re-render would undo come first), one
 * confirmation, then every step's verified outcome and the run after the last one.
 */
export default function FixAllDialog({
  namespace,
  onClose,
  onDone,
}: {
  namespace: string;
  onClose: () => void;
  onDone: (after: RunResult) => void;
}) {
  const preview = useQuery({
    queryKey: ['doctor', 'fix-all-preview', namespace],
    queryFn: () => api.fixAll(namespace, true),
    retry: false,
    staleTime: 0,
    gcTime: 0,
  });
  const apply = useMutation({
    // Applies the steps shown, each as previewed (a step whose plan changed meanwhile is refused).
    mutationFn: () => api.fixAll(namespace, false, Object.fromEntries(planned.map((s) => [s.checkId, s.intent ?? '']))),
    onSuccess: (r) => r.after && onDone(r.after),
  });
  const planned = preview.data?.steps.filter((s) => s.outcome === 'planned') ?? [];
  const { ref, close, onCancel } = useModal(onClose, apply.isPending);
  return (
    <dialog
      ref={ref}
      aria-labelledby="fix-all-title"
      onCancel={onCancel}
      className="m-auto max-h-[90vh] w-[min(44rem,95vw)] overflow-auto rounded-lg border border-slate-300 bg-white p-0 text-slate-900 shadow-xl backdrop:bg-black/50 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100"
    >
      <div className="space-y-3 p-4">
        <h2 id="fix-all-title" className="text-lg font-bold">
          Fix all in <span className="font-mono">{namespace}</span>
        </h2>
        {preview.isPending && <p role="status">Planning every fix (server-side dry runs)…</p>}
        {preview.isError && (
          <p role="alert" className="text-red-700 dark:text-red-300">
            {preview.error.message}
          </p>
        )}
        {preview.data && !apply.data && (
          <>
            <p>
              {planned.length
                ? `${planned.length} fix${planned.length > 1 ? 'es' : ''}, in this order (a fix that patches the NemoEvaluator CR goes before one its re-render would drop). Each check is judged again just before its fix.`
                : 'Nothing can be fixed automatically.'}
            </p>
            <Steps steps={preview.data.steps} caption="Planned steps" />
          </>
        )}
        {apply.isPending && <p role="status">Applying the fixes one after another and verifying each…</p>}
        {apply.isError && (
          <p role="alert" className="text-red-700 dark:text-red-300">
            {apply.error.message}
          </p>
        )}
        {apply.data && (
          <>
            <p role="status">
              Done: {apply.data.steps.filter((s) => s.outcome === 'applied').length} applied;{' '}
              {apply.data.after?.summary.fail ?? 0} check(s) still failing after all of them.
            </p>
            <Steps steps={apply.data.steps} caption="What was done" />
          </>
        )}
        <DialogActions onClose={close} busy={apply.isPending} done={!!apply.data}>
          {!apply.data && planned.length > 0 && (
            <button
              type="button"
              onClick={() => apply.mutate()}
              disabled={apply.isPending}
              className="rounded bg-red-700 px-3 py-1.5 font-semibold text-white hover:bg-red-800 disabled:bg-slate-400"
            >
              Apply {planned.length} fix{planned.length > 1 ? 'es' : ''}
            </button>
          )}
        </DialogActions>
      </div>
    </dialog>
  );
}

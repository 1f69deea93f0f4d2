'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import dynamic from 'next/dynamic';
import { useRouter, useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { summarize, verdictOf } from '@/lib/engine/verdict';
import { api, type CheckResult, type RunResult } from '../lib/api';
import { doctorKeys, doctorQueries } from '../lib/queries';
import { parseView, viewQuery, visible, type View } from '../lib/view';
import { CheckCard } from './CheckCard';
import { FixButton } from './FixButton';
import { StatusBadge } from './StatusBadge';
import { Summary } from './Summary';
import { ThemeToggle } from './ThemeToggle';

// Loaded when opened: it is not needed for the first paint.
const FixAllDialog = dynamic(() => import('./FixAllDialog'), { ssr: false });
const HistoryPanel = dynamic(() => import('./HistoryPanel'), { ssr: false });
// The jobs section loads on demand: it is a separate chunk, not in the dashboard's first load.
const JobsPanel = dynamic(() => import('./JobsPanel'), { ssr: false });
// Opened on a click, or shown once a run is done: neither is needed to paint the results.
const FixDialog = dynamic(() => import('./FixDialog'), { ssr: false });
const SharePanel = dynamic(() => import('./SharePanel').then((m) => m.SharePanel), { ssr: false });

/** Areas in the order the registry lists their first check. */
const areasOf = (checks: Array<{ area: string }>) => [...new Set(checks.map((c) => c.area))];

export function Dashboard() {
  const qc = useQueryClient();
  const ctx = useQuery(doctorQueries.context());
  const catalog = useQuery(doctorQueries.catalog());
  const router = useRouter();
  const view = parseView(useSearchParams());
  const setView = (v: View) => router.replace(viewQuery(v) || '?', { scroll: false });
  const namespace = view.namespace ?? ctx.data?.defaultNamespace ?? '';
  const [runId, setRunId] = useState<string>();
  const [fixing, setFixing] = useState<CheckResult>();
  const [fixingAll, setFixingAll] = useState(false);
  // Verified results from fixes replace the run's result for that check until the next run.
  const [verified, setVerified] = useState<Record<string, CheckResult>>({});
  const run = useQuery({ ...doctorQueries.run(namespace, runId ?? ''), enabled: !!runId });
  const start = useMutation({
    mutationFn: () => api.startRun(namespace),
    onSuccess: ({ run: r }) => {
      setVerified({});
      qc.setQueryData(doctorKeys.run(namespace, r.id), { run: r });
      setRunId(r.id);
    },
  });

  const current: RunResult | undefined = run.data?.run;
  const results = (current?.checks ?? []).map((c) => verified[c.id] ?? c);
  const summary = summarize(results);
  const shown: RunResult | undefined = current && {
    ...current,
    checks: results,
    summary,
    verdict: current.state === 'done' ? verdictOf(summary) : current.verdict,
  };

  const card = (r: CheckResult) => (
    <CheckCard
      key={r.id}
      result={r}
      actions={r.fix.available ? <FixButton check={r} namespace={namespace} onOpen={() => setFixing(r)} /> : undefined}
    />
  );

  return (
    <div className="mx-auto max-w-6xl space-y-4 p-4">
      <header className="flex flex-wrap items-center gap-x-6 gap-y-2 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
        <h1 className="text-xl font-bold">Flywheel Doctor</h1>
        {ctx.data && (
          <dl className="flex flex-wrap gap-x-6 gap-y-1 text-sm">
            <div>
              <dt className="inline text-slate-600 dark:text-slate-400">Cluster </dt>
              <dd className="inline font-mono" data-testid="cluster">
                {ctx.data.cluster.server} ({ctx.data.cluster.version})
              </dd>
            </div>
            <div>
              <dt className="inline text-slate-600 dark:text-slate-400">Acting as </dt>
              <dd className="inline font-mono" data-testid="acting-user">
                {ctx.data.acting.user}
              </dd>{' '}
              <dd className="inline text-slate-600 dark:text-slate-400">({ctx.data.acting.source})</dd>
            </div>
            {current?.finishedAt && (
              <div>
                <dt className="inline text-slate-600 dark:text-slate-400">Last run </dt>
                <dd className="inline">{new Date(current.finishedAt).toLocaleTimeString()}</dd>
              </div>
            )}
          </dl>
        )}
        <div className="ml-auto flex flex-wrap items-center gap-2">
          <label className="text-sm" htmlFor="ns">
            Namespace
          </label>
          <input
            id="ns"
            list="ns-options"
            value={namespace}
            onChange={(e) => {
              setView({ ...view, namespace: e.target.value.trim() || undefined });
              setRunId(undefined);
            }}
            className="w-44 rounded border border-slate-300 bg-white px-2 py-1 text-sm dark:border-slate-600 dark:bg-slate-800"
          />
          <datalist id="ns-options">
            {(ctx.data?.installs.length ? ctx.data.installs : (ctx.data?.namespaces ?? [])).map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
          <button
            type="button"
            onClick={() => start.mutate()}
            disabled={!namespace || start.isPending || current?.state === 'running'}
            className="rounded bg-sky-700 px-3 py-1.5 font-semibold text-white hover:bg-sky-800 disabled:bg-slate-400"
          >
            {current?.state === 'running' ? 'Running…' : 'Run all checks'}
          </button>
          {shown?.state === 'done' && results.some((r) => r.fix.available) && (
            <button
              type="button"
              onClick={() => setFixingAll(true)}
              className="rounded border border-red-700 px-3 py-1.5 font-semibold text-red-800 hover:bg-red-50 dark:border-red-400 dark:text-red-200 dark:hover:bg-red-950/40"
            >
              Fix all…
            </button>
          )}
          <ThemeToggle />
        </div>
      </header>

      {ctx.isError && <Problem title="Flywheel Doctor cannot reach its server">{ctx.error.message}</Problem>}
      {ctx.data && !ctx.data.cluster.reachable && (
        <Problem title="No cluster reachable">
          {ctx.data.cluster.error} — check the kubeconfig (FD_KUBECONFIG / KUBECONFIG) or, in-cluster, the service
          account and network policy.
        </Problem>
      )}
      {ctx.data?.namespacesNote && (
        <p className="text-sm text-slate-600 dark:text-slate-400">{ctx.data.namespacesNote}</p>
      )}
      {ctx.data && !ctx.data.namespacesNote && namespace && !ctx.data.namespaces.includes(namespace) && (
        <p role="status" className="text-sm text-amber-800 dark:text-amber-300">
          Namespace <span className="font-mono">{namespace}</span> is not among the namespaces you can see: check the
          name (checks will report what they cannot find).
        </p>
      )}
      {start.isError && <Problem title="Could not start the run">{start.error.message}</Problem>}
      {run.isError && <Problem title="Lost track of the run">{run.error.message}</Problem>}
      {current?.error && <Problem title="The run could not start">{current.error}</Problem>}
      {current?.notice && <Problem title="This namespace is being deleted">{current.notice}</Problem>}

      {!current && !start.isPending && (
        <section className="rounded-lg border border-dashed border-slate-300 p-6 text-center dark:border-slate-700">
          <p className="font-medium">
            Run the checks to diagnose namespace <span className="font-mono">{namespace || '…'}</span>.
          </p>
          <ul className="mt-2 text-sm text-slate-600 dark:text-slate-400">
            {catalog.data?.checks.map((c) => (
              <li key={c.id}>{c.title}</li>
            ))}
          </ul>
        </section>
      )}

      {namespace && <JobsPanel namespace={namespace} />}
      {namespace && <HistoryPanel namespace={namespace} />}
      {shown && (
        <Summary run={shown} linkFor={(status) => viewQuery({ namespace: view.namespace, status: [status] }) || '?'} />
      )}

      {shown && (
        <Filters
          view={view}
          areas={areasOf(catalog.data?.checks ?? [])}
          onChange={setView}
          shown={visible(results, view).length}
          total={results.length}
        />
      )}

      {shown && (
        <section aria-label="Needs attention" className="space-y-2">
          {visible(results, view)
            .filter((r) => !r.suppressed && (r.status === 'fail' || r.status === 'error' || r.status === 'warn'))
            .map((r) => card(r))}
          {(catalog.data?.checks ?? [])
            .filter((c) => !results.some((x) => x.id === c.id) && current?.pending.includes(c.id))
            .map((c) => (
              <div
                key={c.id}
                aria-label={c.title}
                className="flex items-center gap-3 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
              >
                <StatusBadge status="running" /> <span className="font-semibold">{c.title}</span>
              </div>
            ))}
        </section>
      )}

      {shown && results.some((r) => r.suppressed) && (
        // Accepted in the configuration: shown with who and why, out of the way of what needs attention.
        <details className="rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <summary className="cursor-pointer p-3 text-sm">
            <span className="font-semibold">Suppressed</span>: {summary.suppressed} accepted in the configuration
          </summary>
          <div className="space-y-2 p-2">
            {visible(results, view)
              .filter((r) => r.suppressed)
              .map((r) => card(r))}
          </div>
        </details>
      )}

      {shown &&
        areasOf(catalog.data?.checks ?? []).map((area) => {
          // The rest (passing, skipped): one line per area that expands.
          const rest = visible(results, view).filter(
            (r) => r.area === area && !r.suppressed && (r.status === 'pass' || r.status === 'skipped'),
          );
          if (!rest.length) return null;
          return (
            <details
              key={area}
              className="rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900"
            >
              <summary className="cursor-pointer p-3 text-sm">
                <span className="font-semibold">{area}</span>: {rest.filter((r) => r.status === 'pass').length} passing
                {rest.some((r) => r.status === 'skipped') &&
                  `, ${rest.filter((r) => r.status === 'skipped').length} skipped`}
              </summary>
              <div className="space-y-2 p-2">{rest.map((r) => card(r))}</div>
            </details>
          );
        })}

      {shown?.state === 'done' && (
        <SharePanel
          run={current}
          namespace={namespace}
          fixedSinceRun={Object.keys(verified)}
          onRunAgain={() => start.mutate()}
        />
      )}

      {fixingAll && (
        <FixAllDialog
          namespace={namespace}
          onClose={() => setFixingAll(false)}
          onDone={(after) => {
            qc.setQueryData(doctorKeys.run(namespace, after.id), { run: after });
            setVerified({});
            setRunId(after.id);
          }}
        />
      )}
      {fixing && (
        <FixDialog
          check={fixing}
          namespace={namespace}
          onClose={() => setFixing(undefined)}
          onApplied={(v, outcome) =>
            setVerified((m) => {
              const next = { ...m, [v.id]: v };
              // Checks the fix may have undone were re-run with it: show them as they are now.
              for (const a of outcome.outcome === 'applied' ? (outcome.affected ?? []) : []) next[a.id] = a;
              return next;
            })
          }
        />
      )}
    </div>
  );
}

function Problem({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div
      role="alert"
      className="rounded-lg border border-red-300 bg-red-50 p-3 text-sm text-red-900 dark:border-red-800 dark:bg-red-950/40 dark:text-red-100"
    >
      <p className="font-semibold">{title}</p>
      <p>{children}</p>
    </div>
  );
}

/** Status, area and text filters; the state lives in the URL (a link reproduces the view). */
function Filters({
  view,
  areas,
  onChange,
  shown,
  total,
}: {
  view: View;
  areas: string[];
  onChange: (v: View) => void;
  shown: number;
  total: number;
}) {
  const statuses = ['fail', 'error', 'warn', 'pass', 'skipped'] as const;
  return (
    <form
      role="search"
      aria-label="Filter checks"
      className="flex flex-wrap items-center gap-3 text-sm"
      onSubmit={(e) => e.preventDefault()}
    >
      <fieldset className="flex flex-wrap items-center gap-2">
        <legend className="sr-only">Status</legend>
        {statuses.map((st) => (
          <label key={st} className="flex items-center gap-1">
            <input
              type="checkbox"
              checked={view.status.includes(st)}
              onChange={(e) =>
                onChange({
                  ...view,
                  status: e.target.checked ? [...view.status, st] : view.status.filter((x) => x !== st),
                })
              }
            />
            {st}
          </label>
        ))}
      </fieldset>
      <label className="flex items-center gap-1">
        Area
        <select
          value={view.area ?? ''}
          onChange={(e) => onChange({ ...view, area: e.target.value || undefined })}
          className="rounded border border-slate-300 bg-white px-1 py-0.5 dark:border-slate-600 dark:bg-slate-800"
        >
          <option value="">all</option>
          {areas.map((a) => (
            <option key={a}>{a}</option>
          ))}
        </select>
      </label>
      <label className="flex items-center gap-1">
        Find
        <input
          type="search"
          value={view.q ?? ''}
          onChange={(e) => onChange({ ...view, q: e.target.value || undefined })}
          className="w-48 rounded border border-slate-300 bg-white px-2 py-0.5 dark:border-slate-600 dark:bg-slate-800"
        />
      </label>
      <span role="status" className="text-slate-600 dark:text-slate-400">
        {shown} of {total} checks shown
      </span>
    </form>
  );
}

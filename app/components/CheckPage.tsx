'use client';
import dynamic from 'next/dynamic';
import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useState, useSyncExternalStore } from 'react';
import { api, type CheckResult } from '../lib/api';
import { doctorQueries } from '../lib/queries';
import { CheckCard } from './CheckCard';
import { FixButton } from './FixButton';
import { StatusBadge } from './StatusBadge';
import { ThemeToggle } from './ThemeToggle';

const FixDialog = dynamic(() => import('./FixDialog'), { ssr: false });

const noSubscription = () => () => undefined;

/** One check on its own page: run it, read everything it says, fix it, and see its history. */
export function CheckPage({ id }: { id: string }) {
  const ctx = useQuery(doctorQueries.context());
  const namespace = useSearchParams().get('namespace') ?? ctx.data?.defaultNamespace ?? '';
  const catalog = useQuery(doctorQueries.catalog());
  const entry = catalog.data?.checks.find((c) => c.id === id);
  // False in the server's HTML, true once React runs here: the namespace is in the URL, so the button
  // would otherwise look ready before hydration and a click on it would do nothing (seen under load).
  const hydrated = useSyncExternalStore(
    noSubscription,
    () => true,
    () => false,
  );
  const [fixing, setFixing] = useState(false);
  const [result, setResult] = useState<CheckResult>();
  const run = useMutation({
    mutationFn: () => api.runChecks(namespace, [id]),
    onSuccess: ({ run: r }) => {
      setResult(r.checks[0]);
      setRunError(
        r.checks[0] ? undefined : (r.error ?? 'the run finished without a result for this check: run it again'),
      );
    },
  });
  const [runError, setRunError] = useState<string>();
  const history = useQuery({ ...doctorQueries.history(namespace), enabled: !!namespace });
  const changes = (history.data?.entries ?? []).flatMap((e) =>
    e.transitions.filter((t) => t.check === id).map((t) => ({ ...t, at: e.at, trigger: e.trigger, fixes: e.fixes })),
  );
  return (
    <div className="mx-auto max-w-5xl space-y-4 p-4">
      <header className="flex flex-wrap items-center gap-3 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
        <Link
          href={`/?namespace=${encodeURIComponent(namespace)}`}
          className="text-sky-800 underline dark:text-sky-300"
        >
          ← All checks
        </Link>
        <h1 className="text-xl font-bold">{entry?.title ?? id}</h1>
        <span className="font-mono text-sm text-slate-600 dark:text-slate-400">
          {id} · {namespace}
        </span>
        <div className="ml-auto flex items-center gap-2">
          <button
            type="button"
            onClick={() => run.mutate()}
            disabled={!hydrated || !namespace || run.isPending}
            className="rounded bg-sky-700 px-3 py-1.5 font-semibold text-white hover:bg-sky-800 disabled:bg-slate-400"
          >
            {run.isPending ? 'Running…' : 'Run this check'}
          </button>
          <ThemeToggle />
        </div>
      </header>
      {catalog.isSuccess && !entry && (
        <p role="alert" className="text-red-800 dark:text-red-300">
          No check {id}. <Link href="/">See all checks</Link>.
        </p>
      )}
      {(run.isError || runError) && (
        <p role="alert" className="text-red-800 dark:text-red-300">
          {run.isError ? run.error.message || 'the run could not be started: try again' : runError}
        </p>
      )}
      {result && (
        <CheckCard
          result={result}
          actions={
            result.fix.available ? (
              <FixButton check={result} namespace={namespace} onOpen={() => setFixing(true)} />
            ) : undefined
          }
        />
      )}
      <section
        aria-labelledby="check-history"
        className="rounded-lg border border-slate-200 bg-white p-4 text-sm dark:border-slate-800 dark:bg-slate-900"
      >
        <h2 id="check-history" className="font-semibold">
          History
        </h2>
        {changes.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-400">
            No status changes recorded (the server records them when it watches this namespace: FD_WATCH).
          </p>
        ) : (
          <ol className="mt-1 space-y-1">
            {changes.map((c, i) => (
              <li key={i} className="flex flex-wrap items-center gap-2">
                <time dateTime={c.at}>{new Date(c.at).toLocaleString()}</time>
                {c.from && <StatusBadge status={c.from} />} → <StatusBadge status={c.to} />
                {c.trigger && (
                  <span>
                    {c.trigger.kind} <span className="font-mono">{c.trigger.name}</span> changed
                    {c.trigger.changedBy ? ` by ${c.trigger.changedBy}` : ''}
                  </span>
                )}
                {c.fixes?.some((f) => f.check === id) && <span>(fixed automatically)</span>}
              </li>
            ))}
          </ol>
        )}
      </section>
      {fixing && result && (
        <FixDialog
          check={result}
          namespace={namespace}
          onClose={() => setFixing(false)}
          onApplied={(v) => setResult(v)}
        />
      )}
    </div>
  );
}

'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type RunResult } from '../lib/api';
import { doctorKeys, doctorQueries } from '../lib/queries';

/** Share the current run as a stored report with a permalink; list and delete old reports. */
export function SharePanel({
  run,
  namespace,
  fixedSinceRun = [],
  onRunAgain,
}: {
  run?: RunResult;
  namespace: string;
  /** Checks fixed after this run: the run shows them before the fix. */
  fixedSinceRun?: string[];
  onRunAgain?: () => void;
}) {
  const qc = useQueryClient();
  const [anonymize, setAnonymize] = useState(false);
  const [copied, setCopied] = useState(false);
  /** Two stored reports to compare (newest first, as listed). */
  const [picked, setPicked] = useState<string[]>([]);
  const reports = useQuery(doctorQueries.reports());
  const share = useMutation({
    mutationFn: () => api.share(namespace, run!.id, anonymize),
    onSuccess: () => void qc.invalidateQueries({ queryKey: doctorKeys.reports() }),
  });
  const remove = useMutation({
    mutationFn: api.deleteReport,
    onSuccess: () => void qc.invalidateQueries({ queryKey: doctorKeys.reports() }),
  });
  const shared = share.data;
  // The older of the two is "before" (reports are listed newest first).
  const pair = (reports.data?.reports ?? []).filter((r) => picked.includes(r.id));
  const copyMarkdown = async (id: string) => {
    const md = await (await fetch(`/api/reports/${id}/download?format=md`)).text();
    await navigator.clipboard.writeText(md).catch(() => undefined);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <section
      aria-labelledby="share-title"
      className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id="share-title" className="text-base font-semibold">
        Share a report
      </h2>
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Stores this run in the cluster and gives a read-only link. Secret values are never read; credential-like values
        are masked.
      </p>
      {fixedSinceRun.length > 0 && onRunAgain && (
        <p role="note" className="mt-2 text-sm text-amber-900 dark:text-amber-200">
          Fixed after this run: {fixedSinceRun.join(', ')}. The run shows them before the fix; a report of it marks them
          &quot;fixed at …, verified&quot;.{' '}
          <button
            type="button"
            onClick={onRunAgain}
            className="rounded border border-amber-700 px-2 py-0.5 font-semibold hover:bg-amber-50 dark:hover:bg-amber-950/40"
          >
            Run again first
          </button>
        </p>
      )}
      <div className="mt-2 flex flex-wrap items-center gap-3">
        <label className="flex items-center gap-1 text-sm">
          <input type="checkbox" checked={anonymize} onChange={(e) => setAnonymize(e.target.checked)} />
          Replace namespace and host names with placeholders
        </label>
        <button
          type="button"
          disabled={!run || run.state !== 'done' || share.isPending}
          onClick={() => share.mutate()}
          className="rounded bg-sky-700 px-3 py-1 text-sm font-semibold text-white hover:bg-sky-800 disabled:bg-slate-400"
        >
          {share.isPending ? 'Sharing…' : 'Share report'}
        </button>
      </div>
      {share.isError && (
        <p role="alert" className="mt-2 text-sm text-red-800 dark:text-red-300">
          {share.error.message}
        </p>
      )}
      {shared && (
        <div role="status" className="mt-2 space-y-1 text-sm">
          <p>
            Permalink:{' '}
            <a className="text-sky-700 underline dark:text-sky-400" href={shared.url}>
              {typeof window !== 'undefined' ? window.location.origin : ''}
              {shared.url}
            </a>
            {shared.masked > 0 && ` · ${shared.masked} value(s) masked`}
          </p>
          <p className="flex flex-wrap gap-2">
            <a className="underline" href={`/api/reports/${shared.id}/download?format=md`} download>
              Download Markdown
            </a>
            <a className="underline" href={`/api/reports/${shared.id}/download?format=json`} download>
              Download JSON
            </a>
            <a className="underline" href={`/api/reports/${shared.id}/download?format=html`} download>
              Download HTML
            </a>
            <button type="button" className="underline" onClick={() => void copyMarkdown(shared.id)}>
              {copied ? 'Copied' : 'Copy as Markdown'}
            </button>
          </p>
        </div>
      )}
      <h3 className="mt-4 text-sm font-semibold">Stored reports</h3>
      {reports.isError && (
        <p className="text-sm text-red-800 dark:text-red-300">Cannot list reports: {reports.error.message}</p>
      )}
      {reports.data && reports.data.reports.length === 0 && (
        <p className="text-sm text-slate-600 dark:text-slate-400">None yet.</p>
      )}
      {pair.length === 2 && (
        <p className="mt-1 text-sm">
          <a
            className="font-semibold text-sky-700 underline dark:text-sky-400"
            href={`/compare?a=${encodeURIComponent(pair[1]!.id)}&b=${encodeURIComponent(pair[0]!.id)}`}
          >
            Compare the two selected reports
          </a>
        </p>
      )}
      <ul className="mt-1 divide-y divide-slate-200 text-sm dark:divide-slate-800">
        {reports.data?.reports.map((r) => (
          <li key={r.id} className="flex flex-wrap items-center gap-2 py-1">
            <input
              type="checkbox"
              aria-label={`Select report ${r.id} to compare`}
              checked={picked.includes(r.id)}
              onChange={(e) =>
                setPicked((p) => (e.target.checked ? [r.id, ...p].slice(0, 2) : p.filter((x) => x !== r.id)))
              }
            />
            <a className="font-mono text-sky-700 underline dark:text-sky-400" href={`/reports/${r.id}`}>
              {r.id}
            </a>
            <span>{new Date(r.createdAt).toLocaleString()}</span>
            <span>{r.namespace}</span>
            <span>{r.verdict}</span>
            <span className="text-slate-600 dark:text-slate-400">by {r.createdBy}</span>
            <button
              type="button"
              aria-label={`Delete report ${r.id}`}
              onClick={() => remove.mutate(r.id)}
              className="ml-auto rounded border border-slate-300 px-2 text-xs hover:bg-slate-100 dark:border-slate-600 dark:hover:bg-slate-800"
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

'use client';
import { useId, useState } from 'react';
import type { CheckResult } from '../lib/api';
import { CopyButton } from './CopyButton';
import { StatusBadge } from './StatusBadge';

/** One check: badge, summary, and expandable evidence / root cause / manual commands. Cluster strings render as text. */
export function CheckCard({ result, actions }: { result: CheckResult; actions?: React.ReactNode }) {
  const [open, setOpen] = useState(!result.suppressed && (result.status === 'fail' || result.status === 'error'));
  const panelId = useId();
  const showCause = result.status !== 'pass' && result.status !== 'skipped';
  return (
    <article
      aria-label={result.title}
      data-check-id={result.id}
      data-status={result.status}
      data-code={result.code}
      data-suppressed={result.suppressed ? 'true' : undefined}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm dark:border-slate-800 dark:bg-slate-900"
    >
      <div className="flex flex-wrap items-start gap-3">
        <StatusBadge status={result.status} />
        {/* basis-64: on a narrow window the actions wrap below the title instead of squeezing it. */}
        <div className="min-w-0 flex-1 basis-64">
          <h3 className="font-semibold">
            <a href={checkHref(result.id)} className="hover:underline">
              {result.title}
            </a>
          </h3>
          <p className="text-sm text-slate-700 dark:text-slate-300">{result.summary}</p>
          <p className="mt-0.5 font-mono text-xs text-slate-500 dark:text-slate-400">
            {result.id}
            {result.code && (
              <>
                {' · '}
                <span title={result.codeTitle}>{result.code}</span>
              </>
            )}{' '}
            · {result.durationMs} ms
          </p>
          {result.defaultSeverity && (
            <p className="text-xs text-slate-600 dark:text-slate-400">
              Severity {result.status} by configuration (the code&apos;s default is {result.defaultSeverity})
            </p>
          )}
          {result.suppressed && (
            <p
              role="note"
              aria-label="Suppressed"
              className="mt-1 rounded bg-slate-100 px-2 py-1 text-xs text-slate-700 dark:bg-slate-800 dark:text-slate-300"
            >
              Suppressed by {result.suppressed.by}
              {result.suppressed.expires ? ` until ${result.suppressed.expires}` : ''}: {result.suppressed.reason}
            </p>
          )}
        </div>
        <div className="flex items-center gap-2">
          {actions}
          <button
            type="button"
            aria-expanded={open}
            aria-controls={panelId}
            aria-label={`${open ? 'Hide' : 'Show'} details for ${result.title}`}
            onClick={() => setOpen((o) => !o)}
            className="rounded border border-slate-300 px-2 py-1 text-sm hover:bg-slate-100 dark:border-slate-600 dark:hover:bg-slate-800"
          >
            {open ? 'Hide details' : 'Details'}
          </button>
        </div>
      </div>
      {open && (
        <div id={panelId} className="mt-3 space-y-3 border-t border-slate-200 pt-3 text-sm dark:border-slate-800">
          {result.evidence.length > 0 && (
            <section aria-label="Evidence">
              <h4 className="mb-1 font-semibold">Evidence</h4>
              <dl className="grid grid-cols-1 gap-x-4 gap-y-1 md:grid-cols-[minmax(10rem,16rem)_1fr]">
                {result.evidence.map((e, i) => (
                  <div key={i} className="contents">
                    <dt className="font-medium text-slate-600 dark:text-slate-400">{e.label}</dt>
                    <dd
                      className={
                        e.tone === 'bad'
                          ? 'text-red-800 dark:text-red-300'
                          : e.tone === 'good'
                            ? 'text-green-800 dark:text-green-300'
                            : ''
                      }
                    >
                      {e.code || e.value.includes('\n') ? (
                        <pre className="max-h-64 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-2 font-mono text-xs dark:bg-slate-800">
                          {e.value}
                        </pre>
                      ) : (
                        <span className="break-words">{e.value}</span>
                      )}
                    </dd>
                  </div>
                ))}
              </dl>
            </section>
          )}
          {showCause && (
            <>
              <section>
                <h4 className="font-semibold">Symptom</h4>
                <p className="text-slate-700 dark:text-slate-300">{result.symptom}</p>
              </section>
              <section>
                <h4 className="font-semibold">Root cause</h4>
                <p className="text-slate-700 dark:text-slate-300">{result.rootCause}</p>
              </section>
              {!result.fix.available && result.fix.reason && (
                <p role="note" aria-label="No automatic fix" className="text-slate-700 dark:text-slate-300">
                  No automatic fix: {result.fix.reason}. Follow the manual steps below.
                </p>
              )}
              <section>
                <div className="flex items-center gap-2">
                  <h4 className="font-semibold">Manual fix</h4>
                  <CopyButton
                    text={result.manualFix.join('\n')}
                    label={`Copy manual fix commands for ${result.title}`}
                  />
                </div>
                <pre className="mt-1 overflow-auto whitespace-pre-wrap break-all rounded bg-slate-100 p-2 font-mono text-xs dark:bg-slate-800">
                  {result.manualFix.join('\n')}
                </pre>
              </section>
            </>
          )}
        </div>
      )}
    </article>
  );
}

/** The check's own page, in the namespace the current page shows. */
function checkHref(id: string): string {
  const ns = typeof window === 'undefined' ? null : new URLSearchParams(window.location.search).get('namespace');
  return `/checks/${encodeURIComponent(id)}${ns ? `?namespace=${encodeURIComponent(ns)}` : ''}`;
}

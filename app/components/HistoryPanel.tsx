'use client';
import { useQuery } from '@tanstack/react-query';
import type { HistoryEntry } from '../lib/api';
import { doctorQueries } from '../lib/queries';
import { StatusBadge } from './StatusBadge';

const time = (iso: string) => new Date(iso).toLocaleString();

/** For each check failing now: the entry where it last went from pass to not-pass, and what caused it. */
export function regressions(entries: HistoryEntry[]) {
  const latest = entries.at(-1)?.statuses ?? {};
  const out: Array<{ check: string; entry: HistoryEntry }> = [];
  for (const [check, status] of Object.entries(latest)) {
    if (status === 'pass' || status === 'skipped') continue;
    const entry = [...entries].reverse().find((e) => e.transitions.some((t) => t.check === check && t.from === 'pass'));
    if (entry) out.push({ check, entry });
  }
  return out;
}

/**
 * What the watch saw (FD_WATCH): at the top, "regressed since" for each check failing now with the
 * object change that did it and who made it; below, a timeline of status changes per check.
 */
export default function HistoryPanel({ namespace }: { namespace: string }) {
  const history = useQuery(doctorQueries.history(namespace));
  const entries = history.data?.entries ?? [];
  const note = history.data?.note;
  if (!entries.length && !note) return null;
  const regressed = regressions(entries);
  // Auto-fix that stopped itself (its fix kept being undone): said until the server restarts it.
  const stopped = new Map(
    entries.flatMap((e) => (e.fixes ?? []).filter((f) => f.outcome === 'stopped').map((f) => [f.check, f.summary])),
  );
  type Change = HistoryEntry['transitions'][number] & { at: string; entry: HistoryEntry };
  const byCheck = new Map<string, Change[]>();
  for (const e of entries)
    for (const t of e.transitions)
      byCheck.set(t.check, [...(byCheck.get(t.check) ?? []), { at: e.at, ...t, entry: e }]);
  return (
    <section
      aria-labelledby="history-title"
      className="space-y-2 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900"
    >
      <h2 id="history-title" className="font-semibold">
        Watch history{' '}
        <span className="text-sm font-normal text-slate-600 dark:text-slate-400">({entries.length} runs kept)</span>
      </h2>
      {note && (
        <p data-testid="history-note" className="text-sm text-amber-800 dark:text-amber-200">
          {note}
        </p>
      )}
      {[...stopped].map(([check, summary]) => (
        <p
          key={`stopped-${check}`}
          role="alert"
          data-testid={`autofix-stopped-${check}`}
          className="text-sm text-red-800 dark:text-red-200"
        >
          {summary}
        </p>
      ))}
      {regressed.map(({ check, entry }) => (
        <p
          key={check}
          role="alert"
          data-testid={`regressed-${check}`}
          className="text-sm text-red-800 dark:text-red-200"
        >
          Regressed since {time(entry.at)}: <span className="font-mono">{check}</span>
          {entry.trigger && (
            <>
              {' '}
              ({entry.trigger.kind} <span className="font-mono">{entry.trigger.name}</span> changed
              {entry.trigger.changedBy ? ` by ${entry.trigger.changedBy}` : ''}
              {entry.trigger.diff.length ? `: ${entry.trigger.diff.map((d) => d.path).join(', ')}` : ''}
              {entry.trigger.then && (
                <>
                  ; then {entry.trigger.then.kind} <span className="font-mono">{entry.trigger.then.name}</span>
                  {entry.trigger.then.changedBy ? ` by ${entry.trigger.then.changedBy}` : ''}
                </>
              )}
              )
            </>
          )}
        </p>
      ))}
      <ul aria-label="Timeline per check" className="space-y-1 text-sm">
        {[...byCheck].map(([check, changes]) => (
          <li key={check} data-testid={`timeline-${check}`}>
            <span className="font-mono">{check}</span>:{' '}
            {changes.map((c, i) => (
              <span key={i} className="mr-3 inline-flex items-center gap-1">
                <time dateTime={c.at} className="text-slate-600 dark:text-slate-400">
                  {new Date(c.at).toLocaleTimeString()}
                </time>
                <StatusBadge status={c.to} />
                {c.entry.fixes?.some((f) => f.check === check) && <span>(auto-fixed)</span>}
              </span>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}

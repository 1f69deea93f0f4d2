import type { CheckResult } from './api';

/** What the dashboard shows, kept in the URL so a link reproduces the view. */
export interface View {
  namespace?: string;
  status: CheckResult['status'][];
  area?: string;
  q?: string;
}

const STATUSES: CheckResult['status'][] = ['fail', 'error', 'warn', 'pass', 'skipped'];
/** Most severe first: what needs someone now leads the page. */
export const SEVERITY: Record<CheckResult['status'], number> = { fail: 0, error: 1, warn: 2, pass: 3, skipped: 4 };

export function parseView(params: URLSearchParams): View {
  const status = (params.get('status') ?? '')
    .split(',')
    .filter((s): s is CheckResult['status'] => (STATUSES as string[]).includes(s));
  return {
    namespace: params.get('namespace') || undefined,
    status,
    area: params.get('area') || undefined,
    q: params.get('q') || undefined,
  };
}

export function viewQuery(v: View): string {
  const p = new URLSearchParams();
  if (v.namespace) p.set('namespace', v.namespace);
  if (v.status.length) p.set('status', v.status.join(','));
  if (v.area) p.set('area', v.area);
  if (v.q) p.set('q', v.q);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The results a view shows, most severe first (registry order within a status). */
export function visible(results: CheckResult[], v: View): CheckResult[] {
  const q = v.q?.toLowerCase();
  return results
    .filter((r) => !v.status.length || v.status.includes(r.status))
    .filter((r) => !v.area || r.area === v.area)
    .filter((r) => !q || `${r.id} ${r.code ?? ''} ${r.title} ${r.summary}`.toLowerCase().includes(q))
    .map((r, i) => ({ r, i }))
    .sort((a, b) => SEVERITY[a.r.status] - SEVERITY[b.r.status] || a.i - b.i)
    .map((x) => x.r);
}

import type { CatalogEntry, FixPermission } from '@/lib/engine/doctor';
import type { FixOutcome, PublicPlan } from '@/lib/engine/fix';
import type { FixAllResult } from '@/lib/engine/fix-all';
import type { HistoryEntry } from '@/lib/watch/history';
import type { JobsReport } from '@/lib/jobs/report';
import type { JobCause, JobTriage } from '@/lib/jobs/triage';
import type { CheckResult, RunResult } from '@/lib/engine/types';
import type { Report } from '@/lib/report/render';
import type { ReportSummary } from '@/lib/report/store';

// This module imports only types from lib/. The dashboard does run two pure lib/ modules in the
// browser (engine/verdict, diff); scripts/bundle-budget.mjs fails the build if server-only code
// (Kubernetes client, node: modules) reaches a client chunk.
export type {
  CatalogEntry,
  CheckResult,
  FixAllResult,
  FixOutcome,
  HistoryEntry,
  FixPermission,
  JobCause,
  JobsReport,
  JobTriage,
  PublicPlan,
  Report,
  ReportSummary,
  RunResult,
};

export interface ClusterContext {
  cluster: { server: string; version: string; reachable: boolean; error?: string };
  defaultNamespace: string;
  namespaces: string[];
  /** The namespaces among them that look like a Data Flywheel install (the switcher's suggestions). */
  installs: string[];
  namespacesNote?: string;
  acting: { user: string; source: string };
  tool: { name: string; version: string };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly steps?: string[],
  ) {
    super(message);
  }
}

async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: body !== undefined ? { 'Content-Type': 'application/json' } : undefined,
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const data = (await res.json().catch(() => ({}))) as { error?: string; steps?: string[] };
  if (!res.ok) throw new ApiError(res.status, data.error ?? `request failed with HTTP ${res.status}`, data.steps);
  return data as T;
}

export const api = {
  context: () => call<ClusterContext>('GET', '/api/context'),
  catalog: () => call<{ checks: CatalogEntry[] }>('GET', '/api/checks'),
  startRun: (namespace: string) => call<{ run: RunResult }>('POST', '/api/runs', { namespace }),
  runChecks: (namespace: string, checks: string[]) =>
    call<{ run: RunResult }>('POST', '/api/runs', { namespace, checks, wait: true }),
  run: (id: string, namespace: string) =>
    call<{ run: RunResult }>('GET', `/api/runs/${encodeURIComponent(id)}?namespace=${encodeURIComponent(namespace)}`),
  permission: (checkId: string, namespace: string) =>
    call<FixPermission>(
      'GET',
      `/api/checks/${encodeURIComponent(checkId)}/permission?namespace=${encodeURIComponent(namespace)}`,
    ),
  planFix: (checkId: string, namespace: string, target?: string) =>
    call<FixOutcome>('POST', `/api/checks/${encodeURIComponent(checkId)}/fix`, { namespace, dryRun: true, target }),
  history: (namespace: string) =>
    call<{ namespace: string; entries: HistoryEntry[]; note?: string }>(
      'GET',
      `/api/history?namespace=${encodeURIComponent(namespace)}`,
    ),
  jobs: (namespace: string, since = '7d') =>
    call<JobsReport>('GET', `/api/jobs?namespace=${encodeURIComponent(namespace)}&since=${encodeURIComponent(since)}`),
  fixAll: (namespace: string, dryRun: boolean, expected?: Record<string, string>) =>
    call<FixAllResult>('POST', '/api/fix-all', { namespace, dryRun, expected }),
  reports: () => call<{ reports: ReportSummary[] }>('GET', '/api/reports'),
  report: (id: string) => call<{ report: Report }>('GET', `/api/reports/${encodeURIComponent(id)}`),
  share: (namespace: string, runId: string, anonymize: boolean) =>
    call<{ id: string; url: string; masked: number }>('POST', '/api/reports', { namespace, runId, anonymize }),
  deleteReport: (id: string) => call<{ deleted: string }>('DELETE', `/api/reports/${encodeURIComponent(id)}`),

  /** Applies a fix, streaming progress lines until the verified result arrives. */
  async applyFix(
    checkId: string,
    namespace: string,
    target: string | undefined,
    confirmed: Pick<PublicPlan, 'guards' | 'fingerprint'>,
    onProgress: (s: string) => void,
  ): Promise<FixOutcome> {
    const res = await fetch(`/api/checks/${encodeURIComponent(checkId)}/fix`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        namespace,
        dryRun: false,
        target,
        expectedGuards: confirmed.guards,
        expectedFingerprint: confirmed.fingerprint,
        stream: true,
      }),
    });
    if (!res.ok || !res.body) {
      const data = (await res.json().catch(() => ({}))) as { error?: string };
      throw new ApiError(res.status, data.error ?? `HTTP ${res.status}`);
    }
    const reader = res.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (value) buf += dec.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = JSON.parse(buf.slice(0, nl)) as {
          progress?: string;
          result?: FixOutcome;
          error?: string;
          status?: number;
          steps?: string[];
        };
        buf = buf.slice(nl + 1);
        if (line.progress) onProgress(line.progress);
        if (line.result) return line.result;
        if (line.error) throw new ApiError(line.status ?? 500, line.error, line.steps);
      }
      if (done)
        throw new ApiError(
          502,
          'the connection closed before the fix finished: re-run the checks to see the current state',
        );
    }
  },
};

import { queryOptions } from '@tanstack/react-query';
import { api, ApiError } from './api';

/** Query-key factory: every key the dashboard uses, built in one place (tests reuse it). */
export const doctorKeys = {
  all: ['doctor'] as const,
  context: () => [...doctorKeys.all, 'context'] as const,
  catalog: () => [...doctorKeys.all, 'catalog'] as const,
  namespace: (ns: string) => [...doctorKeys.all, 'ns', ns] as const,
  run: (ns: string, id: string) => [...doctorKeys.namespace(ns), 'run', id] as const,
  permission: (ns: string, checkId: string) => [...doctorKeys.namespace(ns), 'permission', checkId] as const,
  plan: (ns: string, checkId: string, target?: string) =>
    [...doctorKeys.namespace(ns), 'plan', checkId, target ?? ''] as const,
  history: (ns: string) => [...doctorKeys.namespace(ns), 'history'] as const,
  jobs: (ns: string) => [...doctorKeys.namespace(ns), 'jobs'] as const,
  reports: () => [...doctorKeys.all, 'reports'] as const,
  report: (id: string) => [...doctorKeys.reports(), id] as const,
};

export const doctorQueries = {
  context: () => queryOptions({ queryKey: doctorKeys.context(), queryFn: api.context, staleTime: 60_000 }),
  catalog: () => queryOptions({ queryKey: doctorKeys.catalog(), queryFn: api.catalog, staleTime: Infinity }),
  /** What the watch recorded; refreshed every 5 s while the page is open. */
  history: (ns: string) =>
    queryOptions({ queryKey: doctorKeys.history(ns), queryFn: () => api.history(ns), refetchInterval: 5000 }),
  /** The flywheel's recent jobs, explained; refreshed every 30 s, never retried (a 502 says why). */
  jobs: (ns: string) =>
    queryOptions({ queryKey: doctorKeys.jobs(ns), queryFn: () => api.jobs(ns), refetchInterval: 30_000, retry: false }),
  run: (ns: string, id: string) =>
    queryOptions({
      queryKey: doctorKeys.run(ns, id),
      queryFn: () => api.run(id, ns),
      // Poll while the run is in progress; stop once it is done.
      refetchInterval: (q) => (q.state.data?.run.state === 'done' ? false : 400),
      staleTime: Infinity,
    }),
  permission: (ns: string, checkId: string) =>
    queryOptions({
      queryKey: doctorKeys.permission(ns, checkId),
      queryFn: () => api.permission(checkId, ns),
      staleTime: 60_000,
    }),
  /** A fix preview is always fresh: never cached, never retried (a refused plan says why). */
  plan: (ns: string, checkId: string, target?: string) =>
    queryOptions({
      queryKey: doctorKeys.plan(ns, checkId, target),
      queryFn: () => api.planFix(checkId, ns, target),
      staleTime: 0,
      gcTime: 0,
      retry: false,
    }),
  reports: () => queryOptions({ queryKey: doctorKeys.reports(), queryFn: api.reports }),
  report: (id: string) =>
    queryOptions({ queryKey: doctorKeys.report(id), queryFn: () => api.report(id), staleTime: Infinity }),
};

/** Retry once on a flaky network or a 5xx; never on answers a retry cannot change (bad input, no login, no permission, gone). */
export function shouldRetry(failures: number, error: unknown): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failures < 1;
}

import { errorMessage } from '@/lib/k8s/errors';
import { redactText } from '@/lib/report/redact';
import { HistoryStore } from '@/lib/watch/history';
import { LeaderLease } from '@/lib/watch/leader';
import { Monitor, NamespaceMonitor } from '@/lib/watch/monitor';
import { sweepQuietly } from '@/lib/engine/janitor';
import { NamespaceSchema } from '@/lib/k8s/names';
import { doctor, doctorFor } from './server';

/** FD_WATCH's namespaces (`default` is the configured one), and what is wrong with each bad name. */
export function watchedNamespaces(
  value: string | undefined,
  configured: string,
): { namespaces: string[]; invalid: string[] } {
  const namespaces: string[] = [];
  const invalid: string[] = [];
  for (const raw of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const name = raw === 'default' ? configured : raw;
    const parsed = NamespaceSchema.safeParse(name);
    if (!parsed.success)
      invalid.push(
        `"${name.slice(0, 80)}": ${parsed.error.issues[0]?.message ?? 'not a namespace name'} (fix FD_WATCH: comma-separated namespace names, or "default")`,
      );
    else if (!namespaces.includes(parsed.data)) namespaces.push(parsed.data);
  }
  return { namespaces, invalid };
}

/**
 * At start: what a previous process left behind when it was killed mid-fix (its chown or probe pod,
 * its fix Leases) is removed in the configured and watched namespaces, without waiting for a run.
 */
export function sweepAtStart(env: Record<string, string | undefined>): void {
  const log = (m: string) => process.stderr.write(`[start] ${redactText(m, 'log', [])}\n`);
  try {
    const base = doctor();
    const { namespaces } = watchedNamespaces(env.FD_WATCH, base.config.namespace);
    for (const ns of new Set([base.config.namespace, ...namespaces])) void sweepQuietly(base.client(), ns, log);
  } catch (e) {
    log(`no sweep for leftovers: ${errorMessage(e)}`);
  }
}

/**
 * The server's watch (FD_WATCH): namespaces to watch, full runs every FD_WATCH_SCHEDULE_SECONDS
 * (default 900; 0 = off), auto-fix for the checks listed in FD_AUTOFIX (off by default; fixes that
 * restart workloads only with FD_AUTOFIX_RESTARTS=1).
 */
export function startWatch(env: Record<string, string | undefined>): Monitor | undefined {
  // Errors carry cluster text: the server log is a sink like any other.
  const log = (m: string) => process.stderr.write(`[watch] ${redactText(m, 'log', [])}\n`);
  try {
    const base = doctor();
    const { namespaces, invalid } = watchedNamespaces(env.FD_WATCH, base.config.namespace);
    // One bad name must not stop the others from being watched (nor the lease from being renewed).
    for (const bad of invalid) log(`FD_WATCH: ignoring ${bad}`);
    if (!namespaces.length) {
      log('not started: FD_WATCH names no valid namespace');
      return undefined;
    }
    const autoFix = (env.FD_AUTOFIX ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const scheduleMs = Number(env.FD_WATCH_SCHEDULE_SECONDS ?? 900) * 1000;
    const lease = new LeaderLease(base.client(), base.appNamespace);
    const monitor = new Monitor(lease, () =>
      namespaces.map((ns) => {
        const d = doctorFor(ns);
        return new NamespaceMonitor({
          doctor: d,
          history: new HistoryStore(d.client(), d.appNamespace, ns),
          scheduleMs,
          autoFix,
          autoFixRestarts: env.FD_AUTOFIX_RESTARTS === '1',
          log,
        });
      }),
    );
    monitor.start();
    const stop = () => void monitor.stop().finally(() => process.exit(0));
    process.once('SIGTERM', stop);
    log(`watching ${namespaces.join(', ')} (leader election in ${base.appNamespace}, lease ${lease.identity})`);
    return monitor;
  } catch (e) {
    log(`not started: ${errorMessage(e)}`);
    return undefined;
  }
}

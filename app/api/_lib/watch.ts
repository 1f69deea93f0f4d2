import { errorMessage } from '@/lib/k8s/errors';
import { redactText } from '@/lib/report/redact';
import { HistoryStore } from '@/lib/watch/history';
import { LeaderLease } from '@/lib/watch/leader';
import { Monitor, NamespaceMonitor } from '@/lib/watch/monitor';
import { doctor, doctorFor } from './server';

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
    const namespaces = (env.FD_WATCH ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((n) => (n === 'default' ? base.config.namespace : n));
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

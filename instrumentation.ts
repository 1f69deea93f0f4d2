/**
 * Next.js calls register() once per server process. With FD_WATCH set (a comma-separated list of
 * namespaces, or "default" for the configured one), the server watches those namespaces as described
 * in lib/watch/monitor.ts: only the replica holding the leader Lease does, the others serve the UI.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs' || !process.env.FD_WATCH) return;
  const { startWatch } = await import('./app/api/_lib/watch');
  startWatch(process.env);
}

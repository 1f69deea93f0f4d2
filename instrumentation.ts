/**
 * Next.js calls register() once per server process. It removes what a killed predecessor left
 * behind (lib/engine/janitor). With FD_WATCH set (a comma-separated list of
 * namespaces, or "default" for the configured one), the server watches those namespaces as described
 * in lib/watch/monitor.ts: only the replica holding the leader Lease does, the others serve the UI.
 */
export async function register() {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { startWatch, sweepAtStart } = await import('./app/api/_lib/watch');
  sweepAtStart(process.env);
  if (process.env.FD_WATCH) startWatch(process.env);
}

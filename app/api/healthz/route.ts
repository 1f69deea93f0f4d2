export const runtime = 'nodejs';

/** Liveness: the process answers. Cluster reachability is /api/readyz's job. */
export function GET() {
  return Response.json({ ok: true });
}

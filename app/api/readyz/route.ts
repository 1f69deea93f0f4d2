import { doctor, errorResponse } from '../_lib/server';

export const runtime = 'nodejs';

/** Readiness: the Kubernetes API answers with our credentials. */
export async function GET() {
  try {
    const info = await doctor().clusterInfo();
    if (!info.reachable) return Response.json({ ok: false, error: info.error }, { status: 503 });
    return Response.json({ ok: true, version: info.version });
  } catch (err) {
    return errorResponse(err);
  }
}

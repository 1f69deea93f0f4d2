import { jobsReport, parseSince } from '@/lib/jobs/report';
import { JobApiError } from '@/lib/jobs/api';
import { handle, HttpError, respond, reader } from '../_lib/server';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * GET ?namespace=&since=7d -> the flywheel's jobs of the window, each failed or stuck one traced to
 * the check that explains it (lib/jobs). Read-only. An API that cannot answer is a 502 saying why.
 */
export async function GET(req: Request) {
  return handle(async () => {
    const q = new URL(req.url).searchParams;
    const { d } = await reader(req, q.get('namespace'));
    const window = parseSince(q.get('since') ?? '7d');
    if (!window) throw new HttpError(400, 'since must look like 90m, 24h or 7d');
    try {
      return respond(await jobsReport(d, window));
    } catch (e) {
      if (e instanceof JobApiError) throw new HttpError(502, e.message);
      throw e;
    }
  });
}

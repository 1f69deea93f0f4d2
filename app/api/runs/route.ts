import { z } from 'zod';
import { assertSafeStateChange, callerIdentity, doctorFor, handle, parseJson, respond } from '../_lib/server';

export const runtime = 'nodejs';

const RunRequest = z.object({
  namespace: z.string().optional(),
  checks: z.array(z.string()).optional(),
  /** Wait for the run to finish instead of polling GET /api/runs/:id. */
  wait: z.boolean().default(false),
  /**
   * Start a run that reads after this request, even if an identical one is in flight or has just
   * finished (automation verifying its own change); by default a burst of requests shares one run.
   */
  fresh: z.boolean().default(false),
});

export async function POST(req: Request) {
  return handle(async () => {
    assertSafeStateChange(req);
    const body = await parseJson(req, RunRequest);
    const d = doctorFor(body.namespace);
    await callerIdentity(req, d); // a forwarded login must be valid before it may start anything
    const sharing = body.fresh ? 'fresh' : 'request';
    if (body.wait) return respond({ run: await d.run(body.checks, sharing) });
    return respond({ run: d.startRun(body.checks, sharing) }, { status: 202 });
  });
}

import { z } from 'zod';
import { assertSafeStateChange, callerIdentity, doctorFor, handle, parseJson, respond } from '../_lib/server';

export const runtime = 'nodejs';

const RunRequest = z.object({
  namespace: z.string().optional(),
  checks: z.array(z.string()).optional(),
  /** Wait for the run to finish instead of polling GET /api/runs/:id. */
  wait: z.boolean().default(false),
});

export async function POST(req: Request) {
  return handle(async () => {
    assertSafeStateChange(req);
    const body = await parseJson(req, RunRequest);
    const d = doctorFor(body.namespace);
    await callerIdentity(req, d); // a forwarded login must be valid before it may start anything
    if (body.wait) return respond({ run: await d.run(body.checks) });
    return respond({ run: d.startRun(body.checks) }, { status: 202 });
  });
}

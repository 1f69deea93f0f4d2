import { z } from 'zod';
import { assertSafeStateChange, callerIdentity, doctorFor, handle, parseJson, respond } from '../_lib/server';

export const runtime = 'nodejs';

const FixAllRequest = z.object({ namespace: z.string().optional(), dryRun: z.boolean() });

/**
 * POST { dryRun: true } -> the ordered steps Fix all would take (each planned against the cluster
 * as it is now); { dryRun: false } -> every step's outcome and the run after the last one.
 */
export async function POST(req: Request) {
  return handle(async () => {
    assertSafeStateChange(req);
    const body = await parseJson(req, FixAllRequest);
    const d = doctorFor(body.namespace);
    const identity = await callerIdentity(req, d, { changesCluster: !body.dryRun });
    return respond(await d.fixAll({ dryRun: body.dryRun, identity }));
  });
}

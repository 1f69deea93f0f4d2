import { z } from 'zod';
import {
  assertSafeStateChange,
  callerIdentity,
  doctorFor,
  handle,
  HttpError,
  parseJson,
  respond,
} from '../_lib/server';

export const runtime = 'nodejs';

const FixAllRequest = z.object({
  namespace: z.string().optional(),
  dryRun: z.boolean(),
  /** The previewed steps the user confirmed: check id -> the step's `intent`. Required to apply. */
  expected: z.record(z.string().max(100), z.string().max(64)).optional(),
});

/**
 * POST { dryRun: true } -> the ordered steps Fix all would take (each planned against the cluster
 * as it is now); { dryRun: false } -> every step's outcome and the run after the last one.
 */
export async function POST(req: Request) {
  return handle(async () => {
    assertSafeStateChange(req);
    const body = await parseJson(req, FixAllRequest);
    if (!body.dryRun && !body.expected)
      throw new HttpError(
        400,
        'preview Fix all first (dryRun: true) and send the steps you confirm as expected: { checkId: step.intent }',
      );
    const d = doctorFor(body.namespace);
    const identity = await callerIdentity(req, d, { changesCluster: !body.dryRun });
    return respond(await d.fixAll({ dryRun: body.dryRun, identity, expected: body.expected }));
  });
}

import { z } from 'zod';
import { PlanGuardSchema } from '@/lib/engine/fix';
import {
  assertSafeStateChange,
  doctorFor,
  errorResponse,
  handle,
  HttpError,
  callerIdentity,
  parseJson,
  respond,
  ndjsonLine,
} from '../../../_lib/server';

export const runtime = 'nodejs';

const FixRequest = z.object({
  namespace: z.string().optional(),
  dryRun: z.boolean(),
  /** Limit the fix to one of the plan's targets (pod-health: one workload). */
  target: z.string().max(253).optional(),
  /** The guards of the plan the user confirmed; apply refuses if the cluster moved since. */
  expectedGuards: z.array(PlanGuardSchema).max(100).optional(),
  /** The fingerprint of the previewed plan the user confirmed: required to apply. */
  expectedFingerprint: z.string().max(64).optional(),
  /** Stream progress as NDJSON lines ({progress} ... then {result} or {error}). */
  stream: z.boolean().default(false),
});

/** POST { dryRun: true } -> the plan (validated by a server-side dry run); { dryRun: false } -> outcome + verified result. */
export async function POST(req: Request, ctx: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    assertSafeStateChange(req);
    const { id } = await ctx.params;
    const body = await parseJson(req, FixRequest);
    // What is applied is what was previewed: a confirmation names the plan it confirms.
    if (!body.dryRun && !body.expectedFingerprint)
      throw new HttpError(
        400,
        'preview the fix first (dryRun: true) and send the fingerprint of the plan you confirm (plan.fingerprint) as expectedFingerprint',
      );
    const d = doctorFor(body.namespace);
    // Dry runs and fixes act as the caller; the login is validated first.
    const identity = await callerIdentity(req, d, { changesCluster: !body.dryRun });
    if (!body.stream)
      return respond(
        await d.fix(id, {
          dryRun: body.dryRun,
          target: body.target,
          identity,
          expectedGuards: body.expectedGuards,
          expectedFingerprint: body.expectedFingerprint,
        }),
      );
    const enc = new TextEncoder();
    const stream = new ReadableStream({
      async start(controller) {
        const send = (o: unknown) => controller.enqueue(enc.encode(ndjsonLine(o)));
        try {
          const result = await d.fix(id, {
            dryRun: body.dryRun,
            target: body.target,
            identity,
            expectedGuards: body.expectedGuards,
            expectedFingerprint: body.expectedFingerprint,
            onProgress: (progress) => send({ progress }),
          });
          send({ result });
        } catch (err) {
          const res = errorResponse(err);
          send(await res.json());
        } finally {
          controller.close();
        }
      },
    });
    return new Response(stream, { headers: { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' } });
  });
}

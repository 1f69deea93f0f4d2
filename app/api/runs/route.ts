import { NextResponse } from 'next/server';
import { z } from 'zod';
import { assertSafeStateChange, doctorFor, handle, parseJson, publicRun } from '../_lib/server';

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
    if (body.wait) return NextResponse.json({ run: publicRun(await d.run(body.checks)) });
    return NextResponse.json({ run: publicRun(d.startRun(body.checks)) }, { status: 202 });
  });
}

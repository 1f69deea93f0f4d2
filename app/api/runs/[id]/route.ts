import { doctorFor, handle, HttpError, respond, reader } from '../../_lib/server';

export const runtime = 'nodejs';

export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    await reader(req);
    const { id } = await ctx.params;
    const ns = new URL(req.url).searchParams.get('namespace');
    const run = doctorFor(ns).getRun(id);
    if (!run) throw new HttpError(404, `run ${id} not found: runs are kept in memory for a while; start a new one`);
    return respond({ run: run });
  });
}

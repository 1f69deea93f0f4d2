import { assertSafeStateChange, doctor, handle, HttpError, respond } from '../../_lib/server';

export const runtime = 'nodejs';

export async function GET(_req: Request, ctx: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    const { id } = await ctx.params;
    const report = await doctor().reports.get(id);
    if (!report)
      throw new HttpError(404, `report ${id} not found: it may have been deleted or pruned by the retention limit`);
    return respond({ report });
  });
}

export async function DELETE(req: Request, ctx: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    // DELETE carries no body; still refuse cross-site callers.
    const site = req.headers.get('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none')
      throw new HttpError(403, `cross-site request refused (Sec-Fetch-Site: ${site})`);
    if (req.headers.get('content-type')) assertSafeStateChange(req);
    const { id } = await ctx.params;
    if (!(await doctor().reports.delete(id))) throw new HttpError(404, `report ${id} not found`);
    return respond({ deleted: id });
  });
}

import { assertSafeStateChange, callerIdentity, doctor, handle, HttpError, respond, reader } from '../../_lib/server';

export const runtime = 'nodejs';

export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    await reader(req);
    const { id } = await ctx.params;
    const report = await doctor().reports.get(id);
    if (!report)
      throw new HttpError(404, `report ${id} not found: it may have been deleted or pruned by the retention limit`);
    return respond({ report });
  });
}

export async function DELETE(req: Request, ctx: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    // No body, but the same rules: same site, same origin, allowed host, a valid login where required.
    assertSafeStateChange(req, { body: false });
    const { id } = await ctx.params;
    const d = doctor();
    // Deleted as the caller: a viewer's token cannot delete what the app's identity could.
    const caller = await callerIdentity(req, d, { changesCluster: true });
    if (!(await d.reports.as(d.client(caller)).delete(id))) throw new HttpError(404, `report ${id} not found`);
    return respond({ deleted: id });
  });
}

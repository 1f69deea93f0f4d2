import { handle, respond, reader } from '../../../_lib/server';

export const runtime = 'nodejs';

/** May the acting identity apply this check's fix? (SelfSubjectAccessReviews as that identity.) */
export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    const { id } = await ctx.params;
    const { d, identity } = await reader(req, new URL(req.url).searchParams.get('namespace'));
    return respond(await d.fixPermission(id, identity));
  });
}

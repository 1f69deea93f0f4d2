import { doctorFor, handle, identityFrom, respond, assertAllowedHost } from '../../../_lib/server';

export const runtime = 'nodejs';

/** May the acting identity apply this check's fix? (SelfSubjectAccessReviews as that identity.) */
export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    assertAllowedHost(req); // DNS rebinding: cluster data only for allowed hosts
    const { id } = await ctx.params;
    const ns = new URL(req.url).searchParams.get('namespace');
    return respond(await doctorFor(ns).fixPermission(id, identityFrom(req)));
  });
}

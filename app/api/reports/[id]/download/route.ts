import { z } from 'zod';
import { renderHtml, renderMarkdown, toJsonReport } from '@/lib/report/render';
import { doctor, handle, HttpError, reader } from '../../../_lib/server';

export const runtime = 'nodejs';

const Format = z.enum(['md', 'json', 'html']);

export async function GET(req: Request, ctx: { params: Promise<{ id: string }> }) {
  return handle(async () => {
    await reader(req);
    const { id } = await ctx.params;
    const format = Format.parse(new URL(req.url).searchParams.get('format') ?? 'md');
    const report = await doctor().reports.get(id);
    if (!report) throw new HttpError(404, `report ${id} not found`);
    const name = `flywheel-doctor-${report.run.namespace.replace(/[^\w-]/g, '_')}-${id}`;
    const { run, ...meta } = report;
    const [body, type] =
      format === 'json'
        ? [JSON.stringify({ ...toJsonReport(run), report: meta }, null, 2), 'application/json']
        : format === 'html'
          ? [renderHtml(report), 'text/html; charset=utf-8']
          : [renderMarkdown(run, meta), 'text/markdown; charset=utf-8'];
    return new Response(body, {
      headers: {
        'Content-Type': type,
        'Content-Disposition': `attachment; filename="${name}.${format}"`,
        'Cache-Control': 'no-store',
      },
    });
  });
}

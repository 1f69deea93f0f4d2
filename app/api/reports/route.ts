import { z } from 'zod';
import { buildReport } from '@/lib/report/build';
import {
  assertSafeStateChange,
  doctor,
  doctorFor,
  handle,
  HttpError,
  callerIdentity,
  parseJson,
  respond,
  reader,
} from '../_lib/server';

export const runtime = 'nodejs';

const ShareRequest = z.object({
  namespace: z.string().optional(),
  runId: z.string().uuid(),
  anonymize: z.boolean().default(false),
});

export async function GET(req: Request) {
  return handle(async () => {
    await reader(req);
    return respond({ reports: await doctor().reports.list() });
  });
}

export async function POST(req: Request) {
  return handle(async () => {
    assertSafeStateChange(req);
    const body = await parseJson(req, ShareRequest);
    const d = doctorFor(body.namespace);
    const run = d.getRun(body.runId);
    if (!run)
      throw new HttpError(
        404,
        'that run is no longer in memory (the server restarted or many runs happened since): run the checks again, then share',
      );
    if (run.state !== 'done') throw new HttpError(409, 'the run is still in progress: share it when it has finished');
    // Who shared it is who the API server says the caller is, never a header anyone can send;
    // the report is written as the caller too.
    const caller = await callerIdentity(req, d, { changesCluster: true });
    const createdBy = await d.actingUser(caller);
    const report = await buildReport(d, run, { createdBy, anonymize: body.anonymize });
    await d.reports.as(d.client(caller)).save(report);
    return respond({ id: report.id, url: `/reports/${report.id}`, masked: report.masked.length }, { status: 201 });
  });
}

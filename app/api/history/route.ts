import { HistoryStore } from '@/lib/watch/history';
import { handle, respond, reader } from '../_lib/server';

export const runtime = 'nodejs';

/** GET ?namespace= -> the watch's recorded runs for that namespace (regressions, triggers, fixes). */
export async function GET(req: Request) {
  return handle(async () => {
    const namespace = new URL(req.url).searchParams.get('namespace');
    const { d } = await reader(req, namespace);
    const store = new HistoryStore(d.client(), d.appNamespace, d.config.namespace);
    return respond({ namespace: d.config.namespace, entries: await store.load() });
  });
}

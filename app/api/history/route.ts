import { HistoryStore } from '@/lib/watch/history';
import { handle, respond, reader } from '../_lib/server';

export const runtime = 'nodejs';

/** GET ?namespace= -> the watch's recorded runs for that namespace (regressions, triggers, fixes). */
export async function GET(req: Request) {
  return handle(async () => {
    const namespace = new URL(req.url).searchParams.get('namespace');
    const { d } = await reader(req, namespace);
    const store = new HistoryStore(d.client(), d.appNamespace, d.config.namespace);
    const { entries, damaged } = await store.read();
    return respond({
      namespace: d.config.namespace,
      entries,
      ...(damaged
        ? {
            note: `part of the stored history (ConfigMap ${store.name} in ${d.appNamespace}) could not be read and is left out; new entries are recorded as usual`,
          }
        : {}),
    });
  });
}

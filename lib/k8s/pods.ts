import type { KubeClient } from './client';
import type { KObject } from './object';
import { RESOURCES } from './resources';
import { podSettled, waitForPodCompletion } from './wait';

/**
 * Creates a pod, waits for it to finish, returns its log; the pod is always deleted. With
 * `messageAnswers`, a termination message it accepts (the kubelet's copy of what the container wrote
 * to its terminationMessagePath, in the status the watch already saw) is returned as the log, and
 * the log is not read: one request and one kubelet round trip fewer.
 */
export async function runPodToCompletion(
  client: KubeClient,
  pod: KObject,
  timeoutMs: number,
  opts: { signal?: AbortSignal; dryRun?: boolean; messageAnswers?: (message: string) => boolean } = {},
): Promise<{ exitCode: number; log: string; node?: string }> {
  const { signal, dryRun, messageAnswers } = opts;
  const ns = pod.metadata!.namespace!;
  const name = pod.metadata!.name!;
  if (dryRun) {
    await client.create<KObject>(RESOURCES.pods, ns, pod, { dryRun });
    return { exitCode: 0, log: '' };
  }
  const deadline = Date.now() + timeoutMs;
  // The watch goes out with the create, not after it: a watch from "now" on one name sees the pod
  // appear (or, opened late, its current state first), so no answer is lost and a round trip is saved.
  const stopWatch = new AbortController();
  const onAbort = () => stopWatch.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let seen: KObject | undefined;
  const watched = client
    .watchObject<KObject>(
      RESOURCES.pods,
      ns,
      name,
      '',
      (o, kind) => {
        if (kind === 'DELETED') return true;
        seen = o;
        return podSettled(o);
      },
      { timeoutSeconds: timeoutMs / 1000, signal: stopWatch.signal },
    )
    .catch(() => 'ended' as const);
  let created: KObject;
  try {
    created = await client.create<KObject>(RESOURCES.pods, ns, pod);
  } catch (e) {
    stopWatch.abort();
    signal?.removeEventListener('abort', onAbort);
    throw e;
  }
  try {
    const early = await watched.finally(() => signal?.removeEventListener('abort', onAbort));
    // Settled as the watch saw it; else (the watch ended or was refused) wait the usual way.
    const last = early === 'done' && seen && podSettled(seen) ? seen : (seen ?? created);
    const done = await waitForPodCompletion(client, ns, name, Math.max(1, deadline - Date.now()), signal, last);
    const terminated = done.status?.containerStatuses?.[0]?.state?.terminated;
    const message: unknown = terminated?.message;
    const log =
      typeof message === 'string' && messageAnswers?.(message)
        ? message
        : await client.podLog(ns, name, pod.spec.containers[0].name, { limitBytes: 64 * 1024 });
    return {
      exitCode: terminated?.exitCode ?? (done.status?.phase === 'Succeeded' ? 0 : 1),
      log,
      node: done.spec?.nodeName,
    };
  } finally {
    // Always clean up, also on timeout or error; a fresh signal so an aborted run still deletes.
    await client.delete(RESOURCES.pods, ns, name, { gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

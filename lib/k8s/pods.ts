import type { KubeClient } from './client';
import type { KObject } from './object';
import { RESOURCES } from './resources';
import { waitForPodCompletion } from './wait';

/** Creates a pod, waits for it to finish, returns its log; the pod is always deleted. */
export async function runPodToCompletion(
  client: KubeClient,
  pod: KObject,
  timeoutMs: number,
  signal?: AbortSignal,
  dryRun = false,
): Promise<{ exitCode: number; log: string; node?: string }> {
  const ns = pod.metadata!.namespace!;
  const name = pod.metadata!.name!;
  const created = await client.create<KObject>(RESOURCES.pods, ns, pod, { dryRun });
  if (dryRun) return { exitCode: 0, log: '' };
  try {
    const done = await waitForPodCompletion(client, ns, name, timeoutMs, signal, created);
    const log = await client.podLog(ns, name, pod.spec.containers[0].name, { limitBytes: 64 * 1024 });
    return {
      exitCode:
        done.status?.containerStatuses?.[0]?.state?.terminated?.exitCode ??
        (done.status?.phase === 'Succeeded' ? 0 : 1),
      log,
      node: done.spec?.nodeName,
    };
  } finally {
    // Always clean up, also on timeout or error; a fresh signal so an aborted run still deletes.
    await client.delete(RESOURCES.pods, ns, name, { gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

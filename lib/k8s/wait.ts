import type { KubeClient } from './client';
import { RESOURCES } from './resources';
import type { KObject } from './object';

export const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason ?? new Error('aborted'));
    };
    // Remove the listener when the timer fires: polling loops would otherwise pile them up.
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Same rule as `kubectl rollout status`: the new ReplicaSet is fully updated and available. */
export function rolloutState(d: KObject): { done: boolean; message: string } {
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  const want = spec.replicas ?? 1;
  const gen = d.metadata?.generation ?? 0;
  if ((st.observedGeneration ?? 0) < gen)
    return { done: false, message: 'waiting for the deployment spec update to be observed' };
  const progressing = (st.conditions ?? []).find((c: { type: string }) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded')
    return { done: false, message: `rollout exceeded its progress deadline: ${progressing.message ?? ''}` };
  if ((st.updatedReplicas ?? 0) < want)
    return { done: false, message: `${st.updatedReplicas ?? 0} of ${want} new replicas updated` };
  if ((st.replicas ?? 0) > (st.updatedReplicas ?? 0))
    return {
      done: false,
      message: `${(st.replicas ?? 0) - (st.updatedReplicas ?? 0)} old replicas pending termination`,
    };
  if ((st.availableReplicas ?? 0) < (st.updatedReplicas ?? 0))
    return {
      done: false,
      message: `${st.availableReplicas ?? 0} of ${st.updatedReplicas ?? 0} updated replicas available`,
    };
  return { done: true, message: 'rollout complete' };
}

export async function waitForRollout(
  client: KubeClient,
  namespace: string,
  name: string,
  timeoutMs: number,
  signal?: AbortSignal,
  onProgress?: (m: string) => void,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const d = await client.get<KObject>(RESOURCES.deployments, namespace, name, { signal });
    const st = rolloutState(d);
    if (st.done) return;
    if (st.message !== last) onProgress?.(`deployment ${name}: ${st.message}`);
    last = st.message;
    await sleep(500, signal);
  }
  throw new Error(
    `deployment ${name} did not finish rolling out within ${Math.round(timeoutMs / 1000)} s (${last}). Check with: oc rollout status deployment/${name} -n ${namespace}`,
  );
}

/** Waits for a pod to finish (Succeeded/Failed) and returns it. */
export async function waitForPodCompletion(
  client: KubeClient,
  namespace: string,
  name: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<KObject> {
  const deadline = Date.now() + timeoutMs;
  let pod: KObject | undefined;
  while (Date.now() < deadline) {
    pod = await client.get<KObject>(RESOURCES.pods, namespace, name, { signal });
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return pod;
    const waiting = (pod.status?.containerStatuses ?? [])[0]?.state?.waiting;
    if (waiting && /ImagePull|ErrImage|CreateContainerConfigError|InvalidImageName/.test(waiting.reason ?? '')) {
      throw new Error(`pod ${name} cannot start: ${waiting.reason}: ${waiting.message ?? ''}`);
    }
    await sleep(500, signal);
  }
  const unsched = (pod?.status?.conditions ?? []).find(
    (c: { type: string; status: string }) => c.type === 'PodScheduled' && c.status === 'False',
  );
  throw new Error(
    `pod ${name} did not complete within ${Math.round(timeoutMs / 1000)} s (phase ${pod?.status?.phase ?? 'unknown'}${unsched ? `; not scheduled: ${unsched.message}` : ''})`,
  );
}

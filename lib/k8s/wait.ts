import { refusalCause } from './errors';
import type { KubeClient } from './client';
import { RESOURCES, type ResourceType } from './resources';
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
export function rolloutState(d: KObject): { done: boolean; message: string; stuck?: string } {
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  // The new ReplicaSet cannot create its pods (a full quota, admission): waiting will not help.
  const failure = (st.conditions ?? []).find(
    (c: { type: string; status: string }) => c.type === 'ReplicaFailure' && c.status === 'True',
  );
  if (failure)
    return {
      done: false,
      message: `cannot create pods: ${failure.message ?? failure.reason}`,
      stuck: failure.message ?? failure.reason,
    };
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

/**
 * Waits until `done` says an object is in the wanted state: one GET, then a watch from its
 * resourceVersion (re-read when the watch ends or the version is gone), so a change is seen
 * as it happens rather than on the next poll. `known` is a state just returned by the server
 * (a create's response): the watch starts from it, saving the first GET's round trip.
 */
export async function waitForObject<T extends KObject>(
  client: KubeClient,
  type: ResourceType,
  namespace: string,
  name: string,
  done: (obj: T) => boolean,
  timeoutMs: number,
  signal?: AbortSignal,
  onChange?: (obj: T) => void,
  known?: T,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let obj = known ?? (await client.get<T>(type, namespace, name, { signal }));
  onChange?.(obj);
  while (!done(obj)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new WaitTimeout(obj);
    let latest = obj;
    const outcome = await client
      .watchObject<T>(
        type,
        namespace,
        name,
        obj.metadata?.resourceVersion ?? '0',
        (o, kind) => {
          if (kind === 'DELETED') return true;
          latest = o;
          onChange?.(o);
          return done(o);
        },
        { timeoutSeconds: left / 1000, signal },
      )
      .catch(async () => {
        await sleep(500, signal); // a watch the server refuses: fall back to reading again
        return 'ended' as const;
      });
    if (outcome === 'done' && done(latest)) return latest;
    obj = await client.get<T>(type, namespace, name, { signal });
    onChange?.(obj);
  }
  return obj;
}

/** Thrown by waitForObject at its deadline, with the last state seen. */
export class WaitTimeout extends Error {
  constructor(readonly last: KObject) {
    super('timed out');
  }
}

export async function waitForRollout(
  client: KubeClient,
  namespace: string,
  name: string,
  timeoutMs: number,
  signal?: AbortSignal,
  onProgress?: (m: string) => void,
): Promise<void> {
  let last = '';
  let final: KObject;
  try {
    final = await waitForObject(
      client,
      RESOURCES.deployments,
      namespace,
      name,
      (d) => rolloutState(d).done || !!rolloutState(d).stuck,
      timeoutMs,
      signal,
      (d) => {
        const st = rolloutState(d);
        if (st.message !== last && !st.done) onProgress?.(`deployment ${name}: ${st.message}`);
        last = st.message;
      },
    );
  } catch (e) {
    if (!(e instanceof WaitTimeout)) throw e;
    throw new Error(
      `deployment ${name} did not finish rolling out within ${Math.round(timeoutMs / 1000)} s (${last}). Check with: oc rollout status deployment/${name} -n ${namespace}`,
    );
  }
  const stuck = rolloutState(final).stuck;
  if (stuck)
    throw new Error(
      `deployment ${name} was updated but cannot create its new pods: ${stuck}${refusalCause(403, stuck, { namespace }) ? ` — ${refusalCause(403, stuck, { namespace })}` : ''}`,
    );
}

/** A pod's first container waiting for a reason it will not recover from by itself. */
const cannotStart = (pod: KObject) => {
  const waiting = (pod.status?.containerStatuses ?? [])[0]?.state?.waiting;
  return waiting && /ImagePull|ErrImage|CreateContainerConfigError|InvalidImageName/.test(waiting.reason ?? '')
    ? waiting
    : undefined;
};

/** Whether waiting on a pod is over: it finished, or it cannot start. */
export const podSettled = (pod: KObject) => ['Succeeded', 'Failed'].includes(pod.status?.phase) || !!cannotStart(pod);

/** Waits for a pod to finish (Succeeded/Failed) and returns it; fails early when it cannot start. */
export async function waitForPodCompletion(
  client: KubeClient,
  namespace: string,
  name: string,
  timeoutMs: number,
  signal?: AbortSignal,
  created?: KObject,
): Promise<KObject> {
  const finished = podSettled;
  try {
    const pod = await waitForObject(
      client,
      RESOURCES.pods,
      namespace,
      name,
      finished,
      timeoutMs,
      signal,
      undefined,
      created,
    );
    const waiting = cannotStart(pod);
    if (waiting) throw new Error(`pod ${name} cannot start: ${waiting.reason}: ${waiting.message ?? ''}`);
    return pod;
  } catch (e) {
    if (!(e instanceof WaitTimeout)) throw e;
    const pod = e.last;
    const unsched = (pod?.status?.conditions ?? []).find(
      (c: { type: string; status: string }) => c.type === 'PodScheduled' && c.status === 'False',
    );
    throw new Error(
      `pod ${name} did not complete within ${Math.round(timeoutMs / 1000)} s (phase ${pod?.status?.phase ?? 'unknown'}${unsched ? `; not scheduled: ${unsched.message}` : ''})`,
    );
  }
}

/**
 * Whether the NIM Operator can render a NeMo custom resource. Before it renders the Deployment it
 * reads the database password Secret named by spec.databaseConfig; without it (or its key) it stops,
 * records a Warning Event "<Kind> <name> failed, msg: …" on the CR, and leaves the CR's status as
 * it was (still Ready). A CR patch then never reaches the Deployment. Used by the check that reports
 * it and by the fixes that patch a CR and wait for the render.
 */
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';

export interface DatabaseRef {
  secretName: string;
  passwordKey: string;
}

/** The Secret and key the CR's databaseConfig names, if it has one. */
export function databaseRef(cr: KObject | undefined): DatabaseRef | undefined {
  const creds = cr?.spec?.databaseConfig?.credentials;
  if (!creds?.secretName) return undefined;
  return { secretName: creds.secretName, passwordKey: creds.passwordKey || 'password' };
}

/** What keeps the operator from rendering, given the Secret as a snapshot keeps it (undefined: nothing). */
export function databaseSecretProblem(ref: DatabaseRef, secret: KObject | undefined): string | undefined {
  if (!secret)
    return `Secret ${ref.secretName}, which spec.databaseConfig names for the database password, does not exist`;
  const bytes = (secret.keyBytes as Record<string, number> | undefined)?.[ref.passwordKey];
  if (bytes === undefined)
    return `Secret ${ref.secretName} has no key ${ref.passwordKey} (spec.databaseConfig.credentials.passwordKey)`;
  return undefined;
}

/** The operator's own "failed" Warning Events on this CR, newest first (its words say what it lacks). */
export function operatorFailures(cr: KObject, events: KObject[], since?: string): KObject[] {
  return events
    .filter(
      (e) =>
        e.type === 'Warning' &&
        e.reason === 'Failed' &&
        e.involvedObject?.kind === cr.kind &&
        e.involvedObject?.name === cr.metadata?.name &&
        (!e.involvedObject?.uid || e.involvedObject.uid === cr.metadata?.uid) &&
        (!since || eventTime(e) >= since),
    )
    .sort((a, b) => eventTime(b).localeCompare(eventTime(a)));
}

export const eventTime = (e: KObject): string => e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp ?? '';

/** Why the operator cannot render this CR now, from a snapshot: the missing Secret, else undefined. */
export function renderBlocker(cr: KObject | undefined, snapshot: Snapshot): string | undefined {
  const ref = databaseRef(cr);
  return ref && !snapshot.notInstalled('secrets')
    ? databaseSecretProblem(ref, snapshot.find('secrets', ref.secretName))
    : undefined;
}

/** The same question asked of the API server while a fix waits: the Secret, then the operator's Events since the patch. */
export async function liveRenderBlocker(
  reader: KubeClient,
  namespace: string,
  crType: 'nemoevaluators',
  crName: string,
  since: string | undefined,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const cr = await reader.get<KObject>(RESOURCES[crType], namespace, crName, { signal });
  const ref = databaseRef(cr);
  if (ref) {
    const found = await reader.list<KObject>(RESOURCES.secrets, namespace, {
      query: { fieldSelector: `metadata.name=${ref.secretName}` },
      signal,
    });
    const secret = found.items[0] && RESOURCES.secrets.keep!(found.items[0]);
    const problem = databaseSecretProblem(ref, secret);
    if (problem) return problem;
  }
  const events = await reader.list<KObject>(RESOURCES.events, namespace, {
    query: { fieldSelector: `involvedObject.name=${crName},type=Warning` },
    signal,
  });
  const failed = operatorFailures(cr, events.items, since)[0];
  return failed ? `the operator reports: ${failed.message}` : undefined;
}

/** When the doctor last wrote the CR (server time, from managedFields), so older Events do not count. */
export function lastDoctorWrite(cr: KObject): string | undefined {
  return ((cr.metadata?.managedFields ?? []) as Array<{ manager?: string; time?: string }>)
    .filter((f) => f.manager === 'flywheel-doctor' && f.time)
    .map((f) => f.time!)
    .sort()
    .pop();
}

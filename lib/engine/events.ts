import { redactText } from '../report/redact';
import type { KubeClient } from '../k8s/client';
import type { KObject } from '../k8s/object';
import { RESOURCES } from '../k8s/resources';
import type { PublicPlan } from './fix';

/**
 * The audit trail of a fix: a Kubernetes Event (reason FlywheelDoctorFix) on the object it changed,
 * saying who applied what and what the re-check found. Written with the app's identity; a failure
 * to write it never fails the fix.
 */
export async function recordFixEvent(
  client: KubeClient,
  namespace: string,
  plan: PublicPlan,
  message: string,
  type: 'Normal' | 'Warning' = 'Normal',
): Promise<void> {
  const m = plan.changes[0]?.target.match(/^(\w+) (?:([^/ ]+)\/)?(\S+)/);
  if (!m) return;
  const [, kind, ns = namespace, name] = m;
  const t = Object.values(RESOURCES).find((r) => r.kind === kind);
  const involved = t ? await client.get<KObject>(t, ns, name!).catch(() => undefined) : undefined;
  const now = new Date().toISOString();
  await client
    .create(RESOURCES.events, ns, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: 'flywheel-doctor-fix-', namespace: ns },
      involvedObject: {
        kind,
        name,
        namespace: ns,
        ...(t ? { apiVersion: t.group ? `${t.group}/${t.version}` : t.version } : {}),
        ...(involved?.metadata?.uid ? { uid: involved.metadata.uid } : {}),
      },
      reason: 'FlywheelDoctorFix',
      // Events are read by anyone who may list them in the namespace: masked like every other sink.
      message: redactText(message, 'event', []).slice(0, 1024),
      type,
      source: { component: 'flywheel-doctor' },
      reportingComponent: 'flywheel-doctor',
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    })
    .catch(() => undefined);
}

// models-pvc-ownership: its configuration and the UID the training pods run as.
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KObject } from '../../lib/k8s/object';
import { POD_ROLE_LABEL } from '../../lib/engine/janitor';

/** The customizer's models PVC and how the probe and chown pods are run. */
export const ModelsSection = z
  .object({
    pvc: z.string().default('finetuning-ms-models-pvc'),
    mountPath: z.string().default('/mount/models'),
    /** GID the chown fix assigns (the guide uses 1000). */
    gid: z.number().int().nonnegative().default(1000),
    /** Needs GNU find and awk for the whole-tree probe (UBI has both; ubi-minimal may not). */
    probeImage: z.string().default('registry.access.redhat.com/ubi9/ubi:latest'),
    /** Service account for the root chown pod; needs an SCC such as anyuid on OpenShift. */
    fixServiceAccount: z.string().default('default'),
    probeTimeoutSeconds: z.number().int().positive().default(90),
  })
  .prefault({});

export const sections = { models: ModelsSection };
export type Config = ConfigOf<typeof sections>;

export const UID_RANGE_ANNOTATION = 'openshift.io/sa.scc.uid-range';
export const PROBE_LABEL = POD_ROLE_LABEL;

/** Parses `start/length` and `start-end`; returns undefined for malformed values. */
export function parseUidRange(raw: string): { start: number; size: number } | undefined {
  const m = raw.trim().match(/^(\d+)\s*([/-])\s*(\d+)$/);
  if (!m) return undefined;
  const start = Number(m[1]);
  const second = Number(m[3]);
  const size = m[2] === '/' ? second : second - start + 1;
  if (!Number.isSafeInteger(start) || size <= 0) return undefined;
  return { start, size };
}

/** Pods (not ours) that mount the PVC; used for the real training UID and RWO node pinning. */
export function podsMountingPvc(snapshot: Snapshot, pvc: string): KObject[] {
  return snapshot
    .list('pods')
    .filter(
      (p) =>
        !p.metadata?.labels?.[PROBE_LABEL] &&
        (p.spec?.volumes ?? []).some(
          (v: { persistentVolumeClaim?: { claimName: string } }) => v.persistentVolumeClaim?.claimName === pvc,
        ),
    );
}

export function effectiveRunAsUser(pod: KObject): number | undefined {
  for (const c of pod.spec?.containers ?? [])
    if (typeof c.securityContext?.runAsUser === 'number') return c.securityContext.runAsUser;
  return typeof pod.spec?.securityContext?.runAsUser === 'number' ? pod.spec.securityContext.runAsUser : undefined;
}

export type ExpectedUid = { uid: number; source: string } | { error: string } | { skip: string };

export function expectedUid(snapshot: Snapshot, config: Config): ExpectedUid {
  const trainingUid = podsMountingPvc(snapshot, config.models.pvc)
    .map(effectiveRunAsUser)
    .find((u) => u !== undefined);
  const ns = snapshot.namespaceObject();
  if (!ns) return { error: `namespace ${config.namespace} does not exist` };
  const raw = ns.metadata?.annotations?.[UID_RANGE_ANNOTATION];
  if (raw !== undefined) {
    const range = parseUidRange(raw);
    if (!range)
      return {
        error: `the namespace annotation ${UID_RANGE_ANNOTATION} is malformed: "${raw}" (expected start/length such as 1000920000/10000, or start-end)`,
      };
    // The UID the training pods really run with beats the first-of-range guess.
    if (trainingUid !== undefined)
      return { uid: trainingUid, source: `runAsUser of pods mounting the PVC (namespace range ${raw})` };
    return { uid: range.start, source: `first UID of ${UID_RANGE_ANNOTATION}=${raw} (what restricted-v2 assigns)` };
  }
  if (trainingUid !== undefined) return { uid: trainingUid, source: 'runAsUser of pods mounting the PVC' };
  return {
    skip: `not OpenShift (no ${UID_RANGE_ANNOTATION} on the namespace) and no pod mounting ${config.models.pvc} shows its runAsUser, so there is no UID to compare with`,
  };
}

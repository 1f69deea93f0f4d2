// models-pvc-ownership: the probe pod that scans the volume, and its output.
import { randomBytes } from 'node:crypto';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { CREATED_BY } from '../../lib/engine/janitor';
import { holderIsDead, PROCESS_TAG } from '../../lib/engine/lock';
import { Config, PROBE_LABEL, podsMountingPvc } from './uid';

/** What the probe pod reports: a bounded summary of the whole tree, never a full listing. */
export interface TreeScan {
  /** Entries looked at: every depth, dotfiles included, symlinks not followed or counted. */
  scanned: number;
  /** Entries owned by another UID, and how many per uid:gid. */
  wrong: number;
  owners: Array<{ owner: string; count: number }>;
  /** The first paths owned by another UID (at most PATH_SAMPLE). */
  samples: Array<{ owner: string; path: string }>;
  errorCount: number;
  /** The first error lines (at most ERROR_SAMPLE), e.g. directories the probe's UID cannot read. */
  errors: string[];
  /** False when the summary line is missing (the probe was cut short). */
  complete: boolean;
}

export type OwnershipProbe =
  | (TreeScan & { probePod: string; node?: string })
  | { notRun: string }
  | { failed: string }
  /** A fix preview: no probe pod (previews create nothing); applying probes first. */
  | { previewed: true };

export const PATH_SAMPLE = 20;
export const ERROR_SAMPLE = 10;
export const OWNER_SAMPLE = 20;

export const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Where the probe pod also writes its summary: the container's termination message, which the
 * kubelet puts in the pod's status, so the watch that sees the pod finish carries the answer and no
 * log read is needed. The kubelet keeps only its first 4096 bytes: the summary ends with END, and a
 * message without it (a long one, or a runtime that does not fill it) is read from the log instead.
 */
export const PROBE_SUMMARY_PATH = '/tmp/flywheel-doctor-probe-summary';

/** True when a probe's termination message holds the whole summary (it reaches the END line). */
export const summaryComplete = (message: string) => /(^|\n)END\n?$/.test(message);

/**
 * The probe's command: one `find` over everything in the volume (every depth, dotfiles, not the
 * mount point itself, which the volume's owner decides; -P never follows
 * symlinks, -xdev stays on the volume), summarised by awk inside the pod so the log stays small
 * however big the volume is, and copied to `summaryPath` (the termination message). Needs GNU find
 * (-printf), awk and tee, as in UBI.
 */
export function probeCommand(mount: string, expectedUid: number, summaryPath = PROBE_SUMMARY_PATH): string {
  const awk = [
    `/^[0-9]+ [0-9]+ \\./ { n++; if ($1 != want) { bad++; owner[$1 ":" $2]++; if (bad <= ${PATH_SAMPLE}) print "WRONG " $0 } next }`,
    `{ errs++; if (errs <= ${ERROR_SAMPLE}) print "ERROR " $0 }`,
    `END { print "SCANNED " n+0; print "BAD " bad+0; print "ERRORS " errs+0; for (k in owner) if (++o <= ${OWNER_SAMPLE}) print "OWNER " k " " owner[k] }`,
  ].join(' ');
  const scan = `find . -mindepth 1 -xdev ! -type l -printf '%U %G %p\\n' 2>&1 | awk -v want=${expectedUid} '${awk}'`;
  const unreadable = `echo "ERROR cannot enter ${mount.replace(/["`$\\]/g, '')}"; echo "SCANNED 0"`;
  // tee still prints the summary when it cannot write the file; the log then answers.
  return `{ if cd ${shellQuote(mount)}; then ${scan}; else ${unreadable}; fi; echo END; } | tee ${shellQuote(summaryPath)} || true`;
}

/** Parses the probe's summary lines (see probeCommand); anything else counts as an error line. */
export function parseTreeScan(out: string): TreeScan {
  const scan: TreeScan = { scanned: 0, wrong: 0, owners: [], samples: [], errorCount: 0, errors: [], complete: false };
  for (const line of out
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)) {
    const [tag, ...rest] = line.split(' ');
    const value = rest.join(' ');
    if (tag === 'SCANNED') {
      scan.scanned = Number(value);
      scan.complete = true;
    } else if (tag === 'BAD') scan.wrong = Number(value);
    else if (tag === 'ERRORS') scan.errorCount = Number(value);
    else if (tag === 'OWNER') scan.owners.push({ owner: rest[0]!, count: Number(rest[1]) });
    else if (tag === 'WRONG') {
      const m = value.match(/^(\d+) (\d+) (.*)$/);
      if (m) scan.samples.push({ owner: `${m[1]}:${m[2]}`, path: m[3]! });
    } else if (tag === 'ERROR') scan.errors.push(value.slice(0, 300));
    else if (tag === 'END' && !value) continue;
    else scan.errors.push(line.slice(0, 300));
  }
  scan.owners.sort((a, b) => b.count - a.count);
  if (!scan.errorCount) scan.errorCount = scan.errors.length;
  return scan;
}

export function podName(prefix: string) {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** The node to run on: a ReadWriteOnce volume already mounted elsewhere can only be mounted on that node. */
export function pinnedNode(snapshot: Snapshot, config: Config): string | undefined {
  const pvc = snapshot.find('persistentvolumeclaims', config.models.pvc);
  const rwo = (pvc?.spec?.accessModes ?? []).some((m: string) => m === 'ReadWriteOnce' || m === 'ReadWriteOncePod');
  if (!rwo) return undefined;
  return podsMountingPvc(snapshot, config.models.pvc).find(
    (p) => p.spec?.nodeName && ['Running', 'Pending'].includes(p.status?.phase),
  )?.spec?.nodeName;
}

export function pvcPodSpec(opts: {
  name: string;
  role: 'probe' | 'fix';
  config: Config;
  command: string;
  readOnly: boolean;
  node?: string;
  runAsRoot: boolean;
}): KObject {
  const { config } = opts;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: opts.name,
      namespace: config.namespace,
      labels: { [PROBE_LABEL]: `pvc-${opts.role}`, 'app.kubernetes.io/managed-by': 'flywheel-doctor' },
      // Whose it is: a pod whose creator died is removed by the next fix or server start (lib/engine/janitor).
      annotations: { [CREATED_BY]: PROCESS_TAG },
    },
    spec: {
      restartPolicy: 'Never',
      activeDeadlineSeconds: config.models.probeTimeoutSeconds * 2,
      ...(opts.node ? { nodeName: opts.node } : {}),
      ...(opts.runAsRoot ? { serviceAccountName: config.models.fixServiceAccount } : {}),
      automountServiceAccountToken: false,
      securityContext: opts.runAsRoot ? { runAsUser: 0, runAsGroup: 0 } : {},
      containers: [
        {
          name: opts.role,
          image: config.models.probeImage,
          command: ['sh', '-c', opts.command],
          terminationMessagePath: PROBE_SUMMARY_PATH,
          volumeMounts: [{ name: 'models', mountPath: config.models.mountPath, readOnly: opts.readOnly }],
          resources: { requests: { cpu: '10m', memory: '16Mi' }, limits: { cpu: '200m', memory: '64Mi' } },
          securityContext: opts.runAsRoot
            ? {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ['ALL'], add: ['CHOWN', 'FOWNER', 'DAC_OVERRIDE'] },
              }
            : { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
        },
      ],
      volumes: [{ name: 'models', persistentVolumeClaim: { claimName: config.models.pvc, readOnly: opts.readOnly } }],
    },
  };
}

/**
 * Our probe and chown pods that outlived their deadline (a run or fix that died midway, e.g. the API
 * server went away): found by label in the snapshot, removed before we create new ones.
 * `activeDeadlineSeconds` stops them even when nobody comes back; this removes what is left.
 */
export function stalePods(snapshot: Snapshot, config: Config, now = Date.now()): string[] {
  const maxAgeMs = (config.models.probeTimeoutSeconds * 2 + 60) * 1000;
  return snapshot
    .list('pods')
    .filter(
      (p) =>
        p.metadata?.labels?.[PROBE_LABEL] &&
        (now - Date.parse(p.metadata?.creationTimestamp ?? '') > maxAgeMs ||
          holderIsDead(`(${p.metadata?.annotations?.[CREATED_BY] ?? ''})`)),
    )
    .map((p) => p.metadata!.name!);
}

export async function sweepStalePods(client: KubeClient, snapshot: Snapshot, config: Config) {
  for (const name of stalePods(snapshot, config)) {
    await client.delete(RESOURCES.pods, config.namespace, name, { gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

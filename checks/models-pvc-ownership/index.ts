import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { BaseConfig, ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { AccessQuestion, KubeClient } from '../../lib/k8s/client';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { runPodToCompletion } from '../../lib/k8s/pods';
import { CREATED_BY, POD_ROLE_LABEL } from '../../lib/engine/janitor';
import { holderIsDead, PROCESS_TAG } from '../../lib/engine/lock';

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

const sections = { models: ModelsSection };
type Config = ConfigOf<typeof sections>;

export const UID_RANGE_ANNOTATION = 'openshift.io/sa.scc.uid-range';
const PROBE_LABEL = POD_ROLE_LABEL;

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

function effectiveRunAsUser(pod: KObject): number | undefined {
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
const ERROR_SAMPLE = 10;
const OWNER_SAMPLE = 20;

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The probe's command: one `find` over everything in the volume (every depth, dotfiles, not the
 * mount point itself, which the volume's owner decides; -P never follows
 * symlinks, -xdev stays on the volume), summarised by awk inside the pod so the log stays small
 * however big the volume is. Needs GNU find (-printf) and awk, as in UBI.
 */
export function probeCommand(mount: string, expectedUid: number): string {
  const awk = [
    `/^[0-9]+ [0-9]+ \\./ { n++; if ($1 != want) { bad++; owner[$1 ":" $2]++; if (bad <= ${PATH_SAMPLE}) print "WRONG " $0 } next }`,
    `{ errs++; if (errs <= ${ERROR_SAMPLE}) print "ERROR " $0 }`,
    `END { print "SCANNED " n+0; print "BAD " bad+0; print "ERRORS " errs+0; for (k in owner) if (++o <= ${OWNER_SAMPLE}) print "OWNER " k " " owner[k] }`,
  ].join(' ');
  return `cd ${shellQuote(mount)} || { echo "ERROR cannot enter ${mount.replace(/["`$\\]/g, '')}"; echo "SCANNED 0"; exit 0; }; find . -mindepth 1 -xdev ! -type l -printf '%U %G %p\\n' 2>&1 | awk -v want=${expectedUid} '${awk}'`;
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
    else scan.errors.push(line.slice(0, 300));
  }
  scan.owners.sort((a, b) => b.count - a.count);
  if (!scan.errorCount) scan.errorCount = scan.errors.length;
  return scan;
}

function podName(prefix: string) {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** The node to run on: a ReadWriteOnce volume already mounted elsewhere can only be mounted on that node. */
function pinnedNode(snapshot: Snapshot, config: Config): string | undefined {
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

async function sweepStalePods(client: KubeClient, snapshot: Snapshot, config: Config) {
  for (const name of stalePods(snapshot, config)) {
    await client.delete(RESOURCES.pods, config.namespace, name, { gracePeriodSeconds: 0 }).catch(() => undefined);
  }
}

/** What this check is about: the PVC, the UID its files should belong to, and where a pod can mount it. */
export interface OwnershipSubject {
  pvc?: KObject;
  expected: ExpectedUid;
  node?: string;
}

export function locateOwnershipSubject(snapshot: Snapshot, config: Config): OwnershipSubject {
  const pvc = snapshot.find('persistentvolumeclaims', config.models.pvc);
  return {
    pvc,
    expected: pvc ? expectedUid(snapshot, config) : { skip: 'no PVC' },
    node: pinnedNode(snapshot, config),
  };
}

export function judgeOwnership(
  { pvc, expected: exp }: OwnershipSubject,
  probe: OwnershipProbe,
  config: Config,
): Finding {
  const pvcName = config.models.pvc;
  if (!pvc)
    return {
      status: 'skipped',
      summary: `No PVC ${pvcName} in ${config.namespace}: customization is not deployed here, or set models.pvc to its name`,
      evidence: [],
    };
  if ('error' in exp) return { status: 'error', summary: exp.error, evidence: [] };
  if ('skip' in exp) return { status: 'skipped', summary: exp.skip, evidence: [] };
  const evidence: Evidence[] = [
    {
      label: 'PVC',
      value: `${pvcName} (${pvc.status?.phase ?? 'unknown'}, ${(pvc.spec?.accessModes ?? []).join(', ')})`,
    },
    { label: 'Expected owner UID', value: `${exp.uid} — ${exp.source}` },
  ];
  if ('notRun' in probe) return { status: 'skipped', summary: probe.notRun, evidence };
  if ('previewed' in probe)
    return {
      status: 'fail',
      summary: `not probed again for this preview (a preview creates no pods): applying probes ${config.models.mountPath} first and changes nothing if every file is already owned by UID ${exp.uid}`,
      evidence,
    };
  if ('failed' in probe) return { status: 'error', summary: `Could not inspect the files: ${probe.failed}`, evidence };
  evidence.push({
    label: 'Probe pod',
    value: `${probe.probePod}${probe.node ? ` on node ${probe.node}` : ''} (deleted)`,
  });
  const mount = config.models.mountPath;
  evidence.push({
    label: 'Entries scanned',
    value: `${probe.scanned} under ${mount} (every depth, dotfiles included, symlinks not followed)`,
    tone: 'info',
  });
  if (probe.wrong) {
    const owners = probe.owners.map((o) => `${o.owner} (${o.count})`).join(', ');
    const paths = probe.samples.map((x) => `${x.owner}  ${x.path.replace(/^\./, mount)}`).join('\n');
    const more = probe.wrong > probe.samples.length ? `\n... and ${probe.wrong - probe.samples.length} more` : '';
    evidence.push({ label: 'Owned by another UID', value: `${probe.wrong} entries: ${owners}`, tone: 'bad' });
    evidence.push({ label: `First ${probe.samples.length} of them`, value: paths + more, code: true, tone: 'bad' });
  }
  if (probe.errorCount) {
    const more = probe.errorCount > probe.errors.length ? `\n... ${probe.errorCount - probe.errors.length} more` : '';
    evidence.push({ label: 'Probe errors', value: probe.errors.join('\n') + more, code: true, tone: 'bad' });
  }
  if (!probe.complete) {
    return {
      status: 'error',
      summary: `The probe was cut short before it finished scanning ${mount}: re-run the check`,
      evidence,
    };
  }
  // The probe runs with the namespace's UID like the training pods: what it cannot read, they cannot either.
  const denied = probe.errors.filter((e) => /Permission denied/i.test(e));
  if (probe.wrong) {
    const owners = probe.owners.map((o) => o.owner).join(', ');
    return {
      status: 'fail',
      summary: `${probe.wrong} of ${probe.scanned} entries are owned by ${owners}, not UID ${exp.uid}: customization jobs get "Permission denied"`,
      evidence,
    };
  }
  if (denied.length) {
    return {
      status: 'fail',
      summary: `The probe could not read ${denied.length === 1 ? 'a directory' : `${denied.length} directories`} under ${mount} (${denied[0]}): training pods with the same UID cannot either`,
      evidence,
    };
  }
  if (probe.errorCount) {
    return { status: 'error', summary: `The probe could not list the model files: ${probe.errors[0]}`, evidence };
  }
  if (probe.scanned === 0) return { status: 'warn', summary: `${pvcName} holds no model files yet`, evidence };
  return { status: 'pass', summary: `All ${probe.scanned} entries are owned by UID ${exp.uid}`, evidence };
}

interface ChownPlanData {
  pod: KObject;
}

/** Probe and fix both run a pod to completion and read its log. */
const podRunPermissions = (c: BaseConfig): AccessQuestion[] => [
  { verb: 'create', group: '', resource: 'pods', namespace: c.namespace },
  { verb: 'delete', group: '', resource: 'pods', namespace: c.namespace },
  { verb: 'get', group: '', resource: 'pods', subresource: 'log', namespace: c.namespace },
];

export default defineCheck<typeof sections, OwnershipSubject, OwnershipProbe, ChownPlanData>({
  id: 'models-pvc-ownership',
  title: 'Model files are readable by the training UID',
  area: 'Storage',
  config: sections,
  needs: ['namespaces', 'persistentvolumeclaims', 'pods'],
  // A probe pod per run: the watch runs it on its schedule only.
  runsPods: true,
  probePermissions: podRunPermissions,
  explain: {
    jobSignatures: [
      {
        pattern: /Permission denied: '\/mount\/models|PermissionError: \[Errno 13\]/,
        cause: 'the model files on the PVC are owned by another UID',
      },
    ],
    symptom:
      'Customization jobs fail with "Cannot read directory \'/mount/models/...\'. Reason: [Errno 13] Permission denied".',
    rootCause:
      "The model download jobs ran as UID 1000, so the files in the models PVC are owned by 1000:1000. After a NeMo redeploy OpenShift runs training pods with a UID from the namespace's range (openshift.io/sa.scc.uid-range), which cannot read them.",
    manualFix: (c) => [
      `oc get namespace ${c.namespace} -o jsonpath='{.metadata.annotations.openshift\\.io/sa\\.scc\\.uid-range}'   # start/length or start-end; the UID is the start`,
      `oc run fix-model-perms --rm -i --restart=Never --image=busybox -n ${c.namespace} --overrides='{"spec":{"securityContext":{"runAsUser":0},"serviceAccountName":"${c.models.fixServiceAccount}","containers":[{"name":"fix","image":"busybox","command":["chown","-R","<UID>:${c.models.gid}","${c.models.mountPath}"],"volumeMounts":[{"name":"models","mountPath":"${c.models.mountPath}"}]}],"volumes":[{"name":"models","persistentVolumeClaim":{"claimName":"${c.models.pvc}"}}]}}'`,
      `oc adm policy add-scc-to-user anyuid -z ${c.models.fixServiceAccount} -n ${c.namespace}   # if the root pod is refused by SCC admission`,
    ],
  },
  locate: locateOwnershipSubject,
  async probe({ config, subject, client, signal, snapshot, preview }) {
    if (!subject.pvc) return { notRun: 'no PVC' };
    if (preview) return { previewed: true };
    await sweepStalePods(client, snapshot, config);
    if (!('uid' in subject.expected)) return { notRun: 'no expected UID' };
    const name = podName('fd-pvc-probe');
    const command = probeCommand(config.models.mountPath, subject.expected.uid);
    const pod = pvcPodSpec({
      name,
      role: 'probe',
      config,
      command,
      readOnly: true,
      node: subject.node,
      runAsRoot: false,
    });
    try {
      const res = await runPodToCompletion(client, pod, config.models.probeTimeoutSeconds * 1000, signal);
      return { ...parseTreeScan(res.log), probePod: name, node: res.node };
    } catch (err) {
      if (err instanceof KubeApiError) throw err; // explained 403 etc. -> `error`
      return { failed: errorMessage(err) };
    }
  },
  judge: ({ subject, probe, config }) => judgeOwnership(subject, probe, config),
  fix: {
    description:
      'Run a short-lived root pod that chowns the model files to the training UID (gid configurable), check its exit code, delete it, re-check.',
    permissions: podRunPermissions,
    // The only warning is an empty volume: nothing to chown.
    available: ({ finding }) =>
      finding.status !== 'warn' || { reason: 'nothing to change: the volume holds no files yet' },
    plan({ subject, probe, config }) {
      const exp = subject.expected;
      if (!('uid' in exp)) throw new Error('error' in exp ? exp.error : exp.skip);
      // The probe looked at the files first: no root pod when nothing needs changing.
      const previewed = 'previewed' in probe;
      if (!('scanned' in probe) && !previewed)
        throw new Error('failed' in probe ? `could not inspect the files: ${probe.failed}` : probe.notRun);
      const base = { guards: [], risks: [] as string[] };
      // What is in the volume, not its root (as the guide's `chown -R ... /mount/models/*`, dotfiles
      // included); -h changes symlinks themselves, never what they point at (a link may lead off the volume).
      const command = `find ${shellQuote(config.models.mountPath)} -mindepth 1 -maxdepth 1 -exec chown -R -h ${exp.uid}:${config.models.gid} {} +`;
      // Named when applied (a random suffix): the plan, and what a confirmation binds to, stay the same.
      const pod = pvcPodSpec({
        name: 'fd-pvc-chown',
        role: 'fix',
        config,
        command,
        readOnly: false,
        // Where the volume's users run (RWO); the scheduler places it otherwise, as it placed the probe.
        node: subject.node,
        runAsRoot: true,
      });
      // Directories the probe's UID could not read may hide more: a root chown covers them too.
      const unreadable = 'errors' in probe ? probe.errors.filter((e) => /Permission denied/i.test(e)).length : 0;
      if ('scanned' in probe && probe.wrong === 0 && unreadable === 0)
        return {
          ...base,
          noop: true,
          summary: `All entries are already owned by UID ${exp.uid}`,
          changes: [],
          data: { pod },
        };
      return {
        ...base,
        noop: false,
        summary:
          'scanned' in probe
            ? `chown -R ${exp.uid}:${config.models.gid} ${config.models.mountPath} in PVC ${config.models.pvc} (${probe.wrong} of ${probe.scanned} entries owned by another UID${unreadable ? `, ${unreadable} unreadable by the probe` : ''})`
            : `chown -R ${exp.uid}:${config.models.gid} ${config.models.mountPath} in PVC ${config.models.pvc}, once a probe pod has confirmed that files are owned by another UID (nothing runs if none are)`,
        changes: [
          {
            target: `Pod ${config.namespace}/fd-pvc-chown-<suffix>`,
            action: 'create',
            description: 'root pod that runs chown, then is deleted',
            manifest: pod,
          },
          {
            target: `PVC ${config.namespace}/${config.models.pvc}`,
            action: 'patch',
            description: 'file ownership',
            before:
              'owners' in probe
                ? probe.owners.map((o) => `${o.owner} (${o.count} entries)`).join(', ')
                : 'probed when applied',
            after: `${exp.uid}:${config.models.gid}`,
          },
        ],
        risks: [
          `Runs a root pod with service account "${config.models.fixServiceAccount}" (on OpenShift it needs an SCC such as anyuid: oc adm policy add-scc-to-user anyuid -z ${config.models.fixServiceAccount} -n ${config.namespace}).`,
          'Jobs reading the models while chown runs may briefly see mixed ownership.',
        ],
        data: { pod },
      };
    },
    steps({ config }, plan) {
      const pod = { ...plan.data.pod, metadata: { ...plan.data.pod.metadata, name: podName('fd-pvc-chown') } };
      return [
        {
          kind: 'run-pod',
          label: `run pod ${pod.metadata.name} (chown as root), then delete it`,
          pod,
          timeoutMs: config.models.probeTimeoutSeconds * 1000,
          failure: (exitCode, log) =>
            `chown pod exited with code ${exitCode}: ${log.trim().split('\n').slice(-5).join(' | ') || 'no output'}. The pod was deleted; ownership may be partly changed, re-run the check to see the current state`,
        },
      ];
    },
  },
});

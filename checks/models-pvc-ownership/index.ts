import { codes } from './codes';
import type { BaseConfig } from '../../lib/config';
import { defineCheck } from '../../lib/engine/types';
import type { AccessQuestion } from '../../lib/k8s/client';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import { runPodToCompletion } from '../../lib/k8s/pods';
import { sections } from './uid';
import {
  OwnershipProbe,
  parseTreeScan,
  podName,
  probeCommand,
  pvcPodSpec,
  shellQuote,
  summaryComplete,
  sweepStalePods,
} from './scan';
import { OwnershipSubject, judgeOwnership, locateOwnershipSubject } from './judge';
export * from './uid';
export * from './scan';
export * from './judge';

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
  codes,
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
      const res = await runPodToCompletion(client, pod, config.models.probeTimeoutSeconds * 1000, {
        signal,
        messageAnswers: summaryComplete,
      });
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

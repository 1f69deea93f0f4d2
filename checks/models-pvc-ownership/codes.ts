import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-PVC-001': {
    severity: 'skipped',
    title: 'no models PVC',
    summary: 'No PVC {pvc} in {namespace}: customization is not deployed here, or set models.pvc to its name',
    fix: 'Set models.pvc if the Customizer keeps its models in a PVC of another name.',
  },
  'FD-PVC-002': {
    severity: 'error',
    title: "the namespace's UID cannot be told",
    summary: '{reason}',
    fix: "Repair the namespace's openshift.io/sa.scc.uid-range annotation (start/length).",
  },
  'FD-PVC-003': {
    severity: 'skipped',
    title: 'no UID to compare with',
    summary: '{reason}',
    fix: 'Nothing to do outside OpenShift unless a pod mounting the PVC sets runAsUser.',
  },
  'FD-PVC-004': {
    severity: 'fail',
    title: 'not probed in a preview',
    summary:
      'not probed again for this preview (a preview creates no pods): applying probes {mountPath} first and changes nothing if every file is already owned by UID {uid}',
    fix: 'Apply the fix: it probes first and changes nothing when every file is owned by the UID.',
  },
  'FD-PVC-005': {
    severity: 'error',
    title: 'the probe pod failed',
    summary: 'Could not inspect the files: {reason}',
    fix: 'Read the reason: usually the probe image cannot be pulled (models.probeImage) or the pod is not admitted.',
  },
  'FD-PVC-006': {
    severity: 'error',
    title: 'the probe was cut short',
    summary: 'The probe was cut short before it finished scanning {mountPath}: re-run the check',
    fix: 'Re-run the check; raise models.probeTimeoutSeconds for very large PVCs.',
  },
  'FD-PVC-007': {
    severity: 'fail',
    title: 'model files owned by another UID',
    summary:
      '{wrong} of {scanned} entries are owned by {owners}, not UID {uid}: customization jobs get "Permission denied"',
    fix: 'chown -R the files to the namespace UID from a pod mounting the PVC (the fix runs that pod).',
  },
  'FD-PVC-008': {
    severity: 'fail',
    title: 'directories the training UID cannot read',
    summary:
      'The probe could not read {what} under {mountPath} ({first}): training pods with the same UID cannot either',
    fix: 'chown -R the files to the namespace UID from a pod mounting the PVC (the fix runs that pod).',
  },
  'FD-PVC-009': {
    severity: 'error',
    title: 'the model files cannot be listed',
    summary: 'The probe could not list the model files: {first}',
    fix: "Read the probe's error; re-run the check.",
  },
  'FD-PVC-010': {
    severity: 'warn',
    title: 'the PVC holds no model files',
    summary: '{pvc} holds no model files yet',
    fix: 'Nothing is wrong yet: the files appear with the first customization.',
  },
});

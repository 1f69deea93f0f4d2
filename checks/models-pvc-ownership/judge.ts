// models-pvc-ownership: the subject and the verdict.
import type { Snapshot } from '../../lib/engine/snapshot';
import { type Evidence, type Finding } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import { Config, ExpectedUid, expectedUid } from './uid';
import { OwnershipProbe, pinnedNode } from './scan';

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

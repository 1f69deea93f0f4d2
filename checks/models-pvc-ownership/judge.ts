// models-pvc-ownership: the subject and the verdict.
import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
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
  if (!pvc) return coded(codes, 'FD-PVC-001', { pvc: pvcName, namespace: config.namespace }, { evidence: [] });
  if ('error' in exp) return coded(codes, 'FD-PVC-002', { reason: exp.error }, { evidence: [] });
  if ('skip' in exp) return coded(codes, 'FD-PVC-003', { reason: exp.skip }, { evidence: [] });
  const evidence: Evidence[] = [
    {
      label: 'PVC',
      value: `${pvcName} (${pvc.status?.phase ?? 'unknown'}, ${(pvc.spec?.accessModes ?? []).join(', ')})`,
    },
    { label: 'Expected owner UID', value: `${exp.uid} — ${exp.source}` },
  ];
  if ('notRun' in probe) return coded(codes, 'FD-PVC-003', { reason: probe.notRun }, { evidence });
  if ('previewed' in probe)
    return coded(codes, 'FD-PVC-004', { mountPath: config.models.mountPath, uid: exp.uid }, { evidence });
  if ('failed' in probe) return coded(codes, 'FD-PVC-005', { reason: probe.failed }, { evidence });
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
    return coded(codes, 'FD-PVC-006', { mountPath: mount }, { evidence });
  }
  // The probe runs with the namespace's UID like the training pods: what it cannot read, they cannot either.
  const denied = probe.errors.filter((e) => /Permission denied/i.test(e));
  if (probe.wrong) {
    const owners = probe.owners.map((o) => o.owner).join(', ');
    const facts = { wrong: probe.wrong, scanned: probe.scanned, owners, uid: exp.uid };
    return coded(codes, 'FD-PVC-007', facts, { evidence });
  }
  if (denied.length) {
    const what = denied.length === 1 ? 'a directory' : `${denied.length} directories`;
    return coded(codes, 'FD-PVC-008', { what, mountPath: mount, first: denied[0]! }, { evidence });
  }
  if (probe.errorCount) {
    return coded(codes, 'FD-PVC-009', { first: probe.errors[0]! }, { evidence });
  }
  if (probe.scanned === 0) return coded(codes, 'FD-PVC-010', { pvc: pvcName }, { evidence });
  return { status: 'pass', summary: `All ${probe.scanned} entries are owned by UID ${exp.uid}`, evidence };
}

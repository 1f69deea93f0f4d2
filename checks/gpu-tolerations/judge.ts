// gpu-tolerations: the verdict and the tolerations the fix adds.
import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import { guardFor } from '../../lib/engine/plan-helpers';
import { type Evidence, type Finding } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import '../shared/nim-resources';
import { CrKind, GpuCr, GpuSubject, Taint, Toleration, WHERE, at } from './subject';

/** The taints a list of added tolerations stands for (to ask whether a rendered pod template tolerates them). */
export const toTaints = (ts: Toleration[]): Taint[] =>
  ts.map((t) => ({ key: t.key!, value: t.value, effect: t.effect! }));

export const show = (t: Taint) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`;
export const label = (c: GpuCr) => `${c.kind} ${c.cr.metadata?.name}`;

const untolerated = (crs: GpuSubject['crs']) => [...new Set(crs.flatMap((c) => c.missing.map(show)))].join(', ');

export function judgeGpu(s: GpuSubject): Finding {
  const evidence: Evidence[] = [];
  if (!s.gpuNodes.length) return coded(codes, 'FD-GPU-001', {}, { evidence });
  for (const n of s.gpuNodes)
    evidence.push({ label: `GPU node ${n.name}`, value: n.taints.map(show).join(', ') || 'no taints' });
  for (const c of s.crs)
    evidence.push({
      label: label(c),
      value: c.missing.length ? `does not tolerate ${c.missing.map(show).join(', ')}` : 'tolerates a GPU node',
      tone: c.missing.length ? 'bad' : 'good',
    });
  for (const r of s.refused) evidence.push({ label: `Pod ${r.pod}`, value: r.message, tone: 'bad' });
  const lacking = s.crs.filter((c) => c.missing.length);
  const stuck = s.refused.filter((r) => !r.owner || r.owner.missing.length);
  if (stuck.length)
    return coded(
      codes,
      'FD-GPU-002',
      {
        count: stuck.length,
        cause: lacking.length
          ? `${lacking.map(label).join(', ')} ${lacking.length > 1 ? 'do' : 'does'} not tolerate the GPU nodes' taints (${untolerated(lacking)})`
          : 'no NIM or NeMo resource here owns them',
      },
      { evidence },
    );
  if (s.refused.length)
    return coded(codes, 'FD-GPU-003', { pods: s.refused.map((r) => r.pod).join(', ') }, { evidence });
  if (lacking.length)
    return coded(
      codes,
      'FD-GPU-004',
      { resources: lacking.map(label).join(', '), taints: untolerated(lacking) },
      { evidence },
    );
  return { status: 'pass', summary: `Every NIM and NeMo resource tolerates a GPU node's taints`, evidence };
}

export interface GpuPlanData {
  patches: Array<{ kind: CrKind; name: string; ops: JsonPatchOp[] }>;
}

/** JSON Patch adding a toleration per missing taint (Equal with its value, else Exists) to the CR's list. */
export function tolerationOps(c: GpuCr): JsonPatchOp[] {
  const path = `/${WHERE[c.kind].path.join('/')}`;
  const add = c.missing.map((t) => ({
    key: t.key,
    operator: t.value ? 'Equal' : 'Exists',
    ...(t.value ? { value: t.value } : {}),
    effect: t.effect,
  }));
  const ops: JsonPatchOp[] = [guardFor(c.kind, c.cr).test];
  if (c.kind === 'NemoCustomizer' && !c.cr.spec?.trainingConfig)
    ops.push({ op: 'add', path: '/spec/trainingConfig', value: {} });
  if (at(c.cr, WHERE[c.kind].path) === undefined) ops.push({ op: 'add', path, value: add });
  else for (const t of add) ops.push({ op: 'add', path: `${path}/-`, value: t });
  return ops;
}

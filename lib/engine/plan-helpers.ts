import type { JsonPatchOp } from '../k8s/client';
import type { KObject } from '../k8s/object';
import type { PlanGuard } from './types';

/** "Kind namespace/name": how objects are named in plans, guards and reports. */
export function targetOf(kind: string, obj: KObject): string {
  return `${kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ''}${obj.metadata?.name}`;
}

/** Guard for the plan/apply round trip plus the matching `test` op for the write itself. */
export function guardFor(kind: string, obj: KObject): { guard: PlanGuard; test: JsonPatchOp } {
  const generation = obj.metadata?.generation;
  if (typeof generation === 'number') {
    return {
      guard: { target: targetOf(kind, obj), field: 'generation', value: String(generation) },
      test: { op: 'test', path: '/metadata/generation', value: generation },
    };
  }
  const resourceVersion = obj.metadata?.resourceVersion ?? '';
  return {
    guard: { target: targetOf(kind, obj), field: 'resourceVersion', value: resourceVersion },
    test: { op: 'test', path: '/metadata/resourceVersion', value: resourceVersion },
  };
}

/** Guard for an object a plan creates: apply refuses if it appeared since the preview. */
export function absentGuard(kind: string, obj: KObject): PlanGuard {
  return { target: targetOf(kind, obj), field: 'absent', value: 'true' };
}

/** Human-readable rendering of a value for before/after diffs. */
export function show(value: unknown): string {
  if (value === undefined) return '(not set)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value, null, 2);
}

/** A restart the way `kubectl rollout restart` does it: bump a pod-template annotation. */
export function restartPatch(deployment: KObject, at = new Date().toISOString()): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [guardFor('Deployment', deployment).test];
  if (!deployment.spec?.template?.metadata) ops.push({ op: 'add', path: '/spec/template/metadata', value: {} });
  if (!deployment.spec?.template?.metadata?.annotations)
    ops.push({ op: 'add', path: '/spec/template/metadata/annotations', value: {} });
  ops.push({ op: 'add', path: '/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt', value: at });
  return ops;
}

// nimcache-storage: the verdict and which PVCs the fix grows.
import { coded, codedList, item, type CodedItem } from '../../lib/engine/codes';
import { codes } from './codes';
import { type Evidence, type Finding } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import '../shared/nim-resources';
import { parseQuantity } from './quantity';
import { CacheProbe, CacheSubject, Config, DISK_FULL } from './subject';

export const requested = (pvc?: KObject) => pvc?.spec?.resources?.requests?.storage as string | undefined;
export const capacity = (pvc?: KObject) => (pvc?.status?.capacity?.storage as string | undefined) ?? requested(pvc);
export const bytes = (q?: string) => (q ? parseQuantity(q) : undefined);

export function judgeCaches(subjects: CacheSubject[], probe: CacheProbe, config: Config): Finding {
  const evidence: Evidence[] = [];
  if (!subjects.length) return coded(codes, 'FD-CACHE-001', {}, { evidence });
  const min = bytes(config.nimcacheStorage.minimumSize)!;
  const fails: CodedItem[] = [];
  const warns: CodedItem[] = [];
  for (const s of subjects) {
    const name = s.cache.metadata!.name!;
    const state = (s.cache.status?.state as string | undefined) ?? '(no state)';
    const ready = state === 'Ready';
    const size = capacity(s.pvc);
    const small = bytes(size) !== undefined && bytes(size)! < min;
    const full = s.failedPods.filter((p) => DISK_FULL.test(probe.logs[p] ?? ''));
    evidence.push({
      label: `NIMCache ${name}`,
      value: `${state}; PVC ${s.pvcName}: ${s.pvc ? `${size}${requested(s.pvc) !== size ? ` (${requested(s.pvc)} requested)` : ''}, StorageClass ${s.pvc.spec?.storageClassName ?? '(default)'}` : 'not found'}`,
      tone: ready ? 'good' : 'bad',
    });
    for (const p of s.failedPods)
      evidence.push({ label: `Pod ${p}`, value: probe.logs[p] ?? '(no log read)', tone: 'bad' });
    if (ready) continue;
    if (full.length || (s.failedPods.length && small))
      fails.push(
        item(codes, 'FD-CACHE-002', {
          cache: name,
          state,
          cause: full.length
            ? `its caching job ran out of disk ("No space left on device" in ${full.join(', ')})`
            : 'its caching job fails',
          small: small
            ? ` and PVC ${s.pvcName} holds ${size}, under the ${config.nimcacheStorage.minimumSize} a NIM's cache needs`
            : '',
        }),
      );
    else if (small && bytes(requested(s.pvc))! >= min)
      warns.push(item(codes, 'FD-CACHE-003', { pvc: s.pvcName, size: String(requested(s.pvc)) }));
    else if (small)
      warns.push(
        item(codes, 'FD-CACHE-004', {
          cache: name,
          state,
          size: String(size),
          minimum: config.nimcacheStorage.minimumSize,
        }),
      );
  }
  if (probe.errors.length) evidence.push({ label: 'Not read', value: probe.errors.join('; '), tone: 'info' });
  if (fails.length) return codedList(codes, fails, { evidence });
  if (warns.length) return codedList(codes, warns, { evidence });
  return { status: 'pass', summary: `Every NIMCache is Ready (${subjects.length})`, evidence };
}

/** The caches whose PVC is too small while they fail: what the fix would grow. */
export function toGrow(subjects: CacheSubject[], config: Config): CacheSubject[] {
  const min = bytes(config.nimcacheStorage.minimumSize)!;
  return subjects.filter(
    (s) =>
      s.pvc &&
      s.cache.status?.state !== 'Ready' &&
      s.failedPods.length > 0 &&
      (bytes(requested(s.pvc)) ?? Infinity) < min,
  );
}

import type { KObject } from '../k8s/object';
import { redactDeep } from '../report/redact';

export interface FieldChange {
  path: string;
  before?: string;
  after?: string;
}

// keyDigests: a Secret's per-process value digests (resources.ts secretShape), never written to the history.
const IGNORED = new Set([
  'metadata.resourceVersion',
  'metadata.managedFields',
  'metadata.generation',
  'status',
  'keyDigests',
]);
/**
 * A value as the history keeps it: masked as a structure first (an env list's `{name: DB_PASS,
 * value}` has no pattern in its text), then as text, and only then shortened, so a cut never leaves
 * half a credential that the patterns no longer recognise.
 */
const short = (v: unknown) => {
  if (v === undefined) return undefined;
  const masked = redactDeep(v, [], 'history diff');
  const text = typeof masked === 'string' ? masked : JSON.stringify(masked);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

/**
 * What changed between two versions of an object, field by field (spec, data, labels, annotations;
 * not status or bookkeeping), at most `limit` entries, values shortened and masked.
 */
export function objectDiff(before: KObject | undefined, after: KObject | undefined, limit = 20): FieldChange[] {
  const out: FieldChange[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= limit || IGNORED.has(path)) return;
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const objA = a && typeof a === 'object' && !Array.isArray(a);
    const objB = b && typeof b === 'object' && !Array.isArray(b);
    if (objA && objB) {
      for (const k of new Set([...Object.keys(a as object), ...Object.keys(b as object)]))
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    out.push({ path, before: short(a), after: short(b) });
  };
  walk(before ?? {}, after ?? {}, '');
  return out;
}

/** Who last wrote an object, from its managedFields: the field manager, its operation and time. */
export function lastWriter(
  obj: KObject | undefined,
): { manager: string; operation?: string; time?: string } | undefined {
  const entries = (
    (obj?.metadata?.managedFields ?? []) as Array<{ manager?: string; operation?: string; time?: string }>
  )
    .filter((f) => f.manager)
    .sort((a, b) => (a.time ?? '').localeCompare(b.time ?? ''));
  const last = entries.pop();
  return last ? { manager: last.manager!, operation: last.operation, time: last.time } : undefined;
}

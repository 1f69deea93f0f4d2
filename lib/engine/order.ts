import { findById, type AnyCheck } from './types';

/**
 * The order in which to apply fixes: every check after the checks it depends on (`dependsOn`),
 * otherwise in registry order. Derived, never hand-sorted; a cycle is a registry bug and throws.
 */
export function fixOrder(registry: readonly AnyCheck[], checks: readonly AnyCheck[] = registry): AnyCheck[] {
  const wanted = new Set(checks.map((c) => c.id));
  const out: AnyCheck[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (check: AnyCheck, path: string[]) => {
    if (state.get(check.id) === 'done') return;
    if (state.get(check.id) === 'visiting')
      throw new Error(`checks depend on each other in a cycle: ${[...path, check.id].join(' -> ')}`);
    state.set(check.id, 'visiting');
    for (const id of check.dependsOn ?? []) {
      const dep = findById(registry, id);
      if (!dep) throw new Error(`check ${check.id} depends on unknown check ${id}`);
      visit(dep, [...path, check.id]);
    }
    state.set(check.id, 'done');
    if (wanted.has(check.id)) out.push(check);
  };
  for (const c of registry) if (wanted.has(c.id)) visit(c, []);
  return out;
}

import { findById, type AnyCheck } from './types';

/**
 * What must be fixed before a check: the checks it depends on (its verdict is judged through
 * them), and the checks whose fixes touch what would undo its fix.
 */
function before(check: AnyCheck, registry: readonly AnyCheck[]): AnyCheck[] {
  const undoneBy = new Set(check.fix?.undoneBy ?? []);
  const undoers = registry.filter(
    (c) => c.id !== check.id && (c.fix?.touches ?? []).some((t: string) => undoneBy.has(t)),
  );
  const deps = (check.dependsOn ?? []).map((id) => {
    const dep = findById(registry, id);
    if (!dep) throw new Error(`check ${check.id} depends on unknown check ${id}`);
    return dep;
  });
  return [...deps, ...undoers];
}

/**
 * The order in which to apply fixes: every check after the checks it depends on (`dependsOn`) and
 * after the fixes that would undo its own (`touches` / `undoneBy`), otherwise in registry order.
 * Derived, never hand-sorted; a cycle is a registry bug and throws.
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
    for (const dep of before(check, registry)) visit(dep, [...path, check.id]);
    state.set(check.id, 'done');
    if (wanted.has(check.id)) out.push(check);
  };
  for (const c of registry) if (wanted.has(c.id)) visit(c, []);
  return out;
}

import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { EngineConfig } from '../config';
import type { KubeClient } from '../k8s/client';
import { errorMessage, KubeApiError } from '../k8s/errors';
import { FixConflictError, FixFailedError } from './fix-errors';
import { sweepQuietly } from './janitor';
import { describeOutcomes, runSteps, StepsFailed, type StepContext, type StepOutcome } from './steps';
import { objectKeys, withLocks } from './lock';
import { evaluate, fixAvailability, namespaceMissing, runOneCheck } from './runner';
import { Snapshot } from './snapshot';
import type { AnyCheck, CheckResult, FixContext, FixDefinition, FixPlan, PlanGuard } from './types';

export interface FixRequest {
  check: AnyCheck;
  config: EngineConfig;
  reader: KubeClient;
  actor: KubeClient;
  dryRun: boolean;
  /** Limit the fix to one of the plan's targets. */
  target?: string;
  /** Guards from the plan the user confirmed; apply refuses if the cluster moved since. */
  expectedGuards?: PlanGuard[];
  /** The fingerprint of the plan the user confirmed: apply refuses (409, with the new plan) if it differs. */
  expectedFingerprint?: string;
  signal?: AbortSignal;
  onProgress?(step: string): void;
  /** Who applies it (named in the lock that keeps a second fix of this check from running at once). */
  who?: string;
}

/** A plan guard as clients send it back with their confirmation (the shape of PlanGuard). */
export const PlanGuardSchema = z.object({
  target: z.string().max(600),
  field: z.enum(['generation', 'resourceVersion', 'absent']),
  value: z.string().max(100),
}) satisfies z.ZodType<PlanGuard>;

/** The plan as sent to clients: fix-private data removed, its fingerprint added. */
export type PublicPlan = Omit<FixPlan, 'data'> & { fingerprint: string };

const sha = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 16);

/**
 * What a confirmation binds to: every write the plan makes (target, action, patch, resulting text,
 * manifest), the object versions it was computed from, and what it may be limited to. A plan whose
 * content comes from HTTP answers (the models to register) names them in its targets.
 */
export function planFingerprint(plan: FixPlan | PublicPlan): string {
  return sha({
    checkId: plan.checkId,
    noop: plan.noop,
    changes: plan.changes.map((c) => [c.target, c.action, c.patch ?? null, c.after ?? null, c.manifest ?? null]),
    guards: plan.guards,
    targets: plan.targets ?? [],
  });
}

/**
 * What a Fix all confirmation binds each step to: which objects it changes and how. Not the exact
 * content: an earlier step of the same Fix all legitimately changes what a later one starts from.
 */
export function planIntent(plan: FixPlan | PublicPlan): string {
  return sha({ checkId: plan.checkId, changes: plan.changes.map((c) => `${c.action} ${c.target}`).sort() });
}

export type FixOutcome =
  | { outcome: 'planned'; plan: PublicPlan; dryRunValidated: boolean; steps: string[] }
  | { outcome: 'noop'; plan: PublicPlan; verified: CheckResult; steps: string[] }
  | {
      outcome: 'applied';
      plan: PublicPlan;
      verified: CheckResult;
      steps: string[];
      /** Other checks this fix can undo (their fix is `undoneBy` what it touches), re-run after it. */
      affected?: CheckResult[];
    };

export { FixConflictError, FixFailedError } from './fix-errors';

export function publicPlan(plan: FixPlan): PublicPlan {
  const { data: _data, ...rest } = plan;
  return { ...rest, fingerprint: planFingerprint(plan) };
}

/** How the objects a plan reads moved since the preview, including objects the new plan reads and the old did not. */
export function guardsMoved(expected: PlanGuard[], current: PlanGuard[]): string[] {
  const moved: string[] = [];
  for (const e of expected) {
    const c = current.find((g) => g.target === e.target);
    if (!c) moved.push(e.field === 'absent' ? `${e.target} was created by someone else` : `${e.target} is gone`);
    else if (c.value !== e.value) moved.push(`${e.target} changed (${e.field} ${e.value} -> ${c.value})`);
  }
  for (const c of current)
    if (!expected.some((e) => e.target === c.target)) moved.push(`${c.target} is now part of the plan`);
  return moved;
}

/**
 * plan -> (dry run | apply) -> verify. Dry run sends the exact writes with dryRun=All so RBAC and
 * admission are exercised while nothing changes. Apply re-plans and refuses when the objects moved
 * since the preview; the writes themselves carry `test` ops so a race after that is refused too.
 */
export async function executeFix(req: FixRequest): Promise<FixOutcome> {
  // Previews never wait for a lock. Applying holds the check's lock from planning to verification,
  // and the locks of the objects its plan touches from before the writes (other checks' fixes
  // touch the same objects: three gateway fixes edit one ConfigMap and restart one Deployment).
  if (req.dryRun) return planApplyVerify(req);
  const ns = req.config.namespace;
  const who = req.who ?? 'flywheel-doctor';
  // What a process of ours left behind when it died (pods, Leases) goes first.
  await sweepQuietly(req.reader, ns);
  const notes: string[] = [];
  const note = (m: string) => {
    notes.push(m);
    req.onProgress?.(m);
  };
  const out = await withLocks(
    req.reader,
    ns,
    [`fix ${req.check.id}`],
    who,
    () => planApplyVerify(req, (plan, fn) => withLocks(req.reader, ns, objectKeys(plan), who, fn, { note })),
    { note },
  );
  return { ...out, steps: [...out.steps, ...notes] };
}

type UnderLocks = <T>(plan: FixPlan, fn: () => Promise<T>) => Promise<T>;

async function planApplyVerify(req: FixRequest, underLocks: UnderLocks = (_plan, fn) => fn()): Promise<FixOutcome> {
  const { check, config } = req;
  const fix = check.fix;
  if (!fix) throw new FixFailedError(`check ${check.id} has no automatic fix; follow the manual steps`, [], 400);
  const steps: string[] = [];
  const progress = (s: string) => {
    steps.push(s);
    req.onProgress?.(s);
  };
  const signal = req.signal ?? new AbortController().signal;

  const snapshot = await Snapshot.load(req.reader, config.namespace, [...check.needs, 'namespaces'], signal);
  const missing = namespaceMissing(snapshot);
  if (missing) throw new FixFailedError(missing, [], 404);
  // The plan starts from what the check sees now: its subject, probe and finding.
  const seen = await evaluate(check, snapshot, { client: req.reader, config, signal, preview: req.dryRun });
  // The same rule that decides whether results offer this fix: a fix that would be refused is never planned.
  const availability = fixAvailability(check, seen, config);
  if (!availability.available && seen.finding.status !== 'pass') {
    // After a preview that offered this fix, losing it means the cluster moved in between.
    if (req.expectedGuards) {
      throw new FixConflictError(
        `not applied: the cluster changed since you previewed this fix, and it can no longer be applied automatically (${availability.reason}). Nothing was changed.`,
      );
    }
    const manual = (seen.finding.manualFix ?? check.explain.manualFix(config)).join(' ; ');
    throw new FixFailedError(`no automatic fix: ${availability.reason}. Do it by hand: ${manual}`, [], 400);
  }
  const ctx = {
    config,
    ...seen,
    reader: req.reader,
    actor: req.actor,
    dryRun: req.dryRun,
    target: req.target,
    signal,
    progress,
  };
  const plan: FixPlan = { checkId: check.id, ...(await fix.plan(ctx)) };
  if (req.target && !(plan.targets ?? []).includes(req.target) && !plan.noop) {
    throw new FixFailedError(
      `"${req.target}" is not something this fix can be limited to${plan.targets?.length ? `; choose one of: ${plan.targets.join(', ')}` : ''}`,
      [],
      400,
    );
  }
  const shown = publicPlan(plan);

  const verify = async () => {
    const fresh = await Snapshot.load(req.reader, config.namespace, check.needs, signal);
    return runOneCheck(check, fresh, { client: req.reader, config, signal });
  };

  if (plan.noop) {
    if (req.dryRun) return { outcome: 'planned', plan: shown, dryRunValidated: false, steps };
    progress('nothing to change: the check already passes');
    return { outcome: 'noop', plan: shown, verified: await verify(), steps };
  }
  const stepContext = (dryRun: boolean): StepContext => ({
    actor: req.actor,
    reader: req.reader,
    namespace: config.namespace,
    dryRun,
    rolloutTimeoutMs: config.rolloutTimeoutMs,
    signal,
    progress,
  });
  if (req.dryRun) {
    try {
      const outcomes = await runSteps(await fix.steps(ctx, plan), stepContext(true));
      for (const [i, o] of outcomes.entries())
        steps.push(`${i + 1}. ${o.label}: ${o.state}${o.detail ? ` (${o.detail})` : ''}`);
    } catch (err) {
      const cause = err instanceof StepsFailed ? err.cause : err;
      throw new FixFailedError(
        `the server-side dry run was refused, so applying would fail too: ${errorMessage(cause)}`,
        steps,
        cause instanceof KubeApiError ? cause.status || 500 : 500,
      );
    }
    return { outcome: 'planned', plan: shown, dryRunValidated: true, steps };
  }
  return underLocks(plan, () =>
    applyAndVerify(req, fix, ctx, plan, shown, steps, progress, verify, stepContext(false)),
  );
}

async function applyAndVerify(
  req: FixRequest,
  fix: FixDefinition,
  ctx: FixContext,
  plan: FixPlan,
  shown: PublicPlan,
  steps: string[],
  progress: (s: string) => void,
  verify: () => Promise<CheckResult>,
  stepContext: StepContext,
): Promise<FixOutcome> {
  const moved = req.expectedGuards ? guardsMoved(req.expectedGuards, plan.guards) : [];
  if (moved.length)
    throw new FixConflictError(
      `not applied: the cluster changed since you previewed this fix (${moved.join('; ')}). Review the new plan and confirm again.`,
      shown,
    );
  if (req.expectedFingerprint && req.expectedFingerprint !== shown.fingerprint)
    throw new FixConflictError(
      `not applied: the plan changed since you previewed it (what it would write is different now). Nothing was changed. Review the new plan and confirm again.`,
      shown,
    );
  let outcomes: StepOutcome[];
  try {
    outcomes = await runSteps(await fix.steps(ctx, plan), stepContext);
  } catch (err) {
    if (!(err instanceof StepsFailed)) throw err;
    const report = describeOutcomes(err.outcomes);
    if (err.isConflict) {
      // Someone else's change landed between our read and our write: nothing of theirs was overwritten.
      throw new FixConflictError(
        err.applied.length
          ? `partly applied: ${report}. Step ${err.at + 1} was refused because another change landed first (${(err.cause as KubeApiError).apiMessage}); nothing was overwritten. Run the fix again: its plan does what is left.`
          : `not applied: ${(err.cause as KubeApiError).apiMessage}. Another change landed first; nothing was overwritten. Re-run the check and review the new plan.`,
      );
    }
    const cause = err.cause;
    throw new FixFailedError(
      `fix failed at step ${err.at + 1} of ${err.outcomes.length}: ${errorMessage(cause)}. Steps: ${report}. ${await whatTookEffect(fix, ctx, plan)}`,
      err.outcomes.map((o, i) => `${i + 1}. ${o.label}: ${o.state}`),
      cause instanceof KubeApiError && cause.status ? cause.status : 500,
    );
  }
  steps.push(...outcomes.filter((o) => o.detail).map((o) => `${o.label}: ${o.detail}`));
  progress('re-running the check to verify');
  return { outcome: 'applied', plan: shown, verified: await verify(), steps };
}

/** After a failure: what is in effect, read back from the cluster when the fix can say more than its steps. */
async function whatTookEffect(fix: FixDefinition, ctx: FixContext, plan: FixPlan): Promise<string> {
  const reported = 'Run the fix again: its plan does what is left';
  if (!fix.readBack) return `${reported}.`;
  try {
    const state = await fix.readBack({ ...ctx, signal: AbortSignal.timeout(10_000) }, plan);
    const done = state.filter((s) => s.done).map((s) => s.step);
    const left = state.filter((s) => !s.done).map((s) => s.step);
    return `Read back from the cluster: in effect: ${done.join('; ') || 'nothing'}; not in effect: ${left.join('; ') || 'nothing'}. Run the fix again: its plan does what is left.`;
  } catch (e) {
    return `${reported} (could not read the cluster back: ${errorMessage(e)}). Run the fix again when the cluster answers: its plan does what is left.`;
  }
}

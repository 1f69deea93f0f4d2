import { errorMessage } from '../k8s/errors';
import { planIntent, type FixOutcome } from './fix';
import { fixOrder } from './order';
import type { AnyCheck, CheckResult, CheckStatus, RunResult } from './types';

/** One step of Fix all: what the check said before, what was done, and what it says after. */
export interface FixAllStep {
  checkId: string;
  title: string;
  before: CheckStatus;
  outcome: 'planned' | 'applied' | 'noop' | 'skipped' | 'failed';
  /** The plan's summary, or why the step was skipped or failed. */
  summary: string;
  verified?: CheckStatus;
  /** A planned step's binding (planIntent): applying Fix all sends these back. */
  intent?: string;
}

export interface FixAllResult {
  steps: FixAllStep[];
  /** Every check re-run after the last fix (fixes change what other checks read). */
  after?: RunResult;
}

/** What Fix all needs from the doctor: runs, and one fix at a time. */
export interface FixAllHost {
  registry: readonly AnyCheck[];
  run(only?: string[]): Promise<RunResult>;
  fix(
    checkId: string,
    opts: {
      dryRun: boolean;
      onProgress?: (s: string) => void;
      expectedFingerprint?: string;
      expectedGuards?: FixOutcome['plan']['guards'];
    },
  ): Promise<FixOutcome>;
}

// A finding the configuration accepted (suppressed) is not one to fix unasked.
const needsFix = (r: CheckResult) => !r.suppressed && (r.status === 'fail' || r.status === 'warn');

/**
 * Fixes every failing check that has an automatic fix, in the derived order (dependencies and
 * fixes that would undo others first). Each check is judged again just before its fix, since an
 * earlier fix may have cured it or changed its plan; a failed step is reported and the rest go on.
 * A dry run plans each fix against the cluster as it is now.
 */
export async function fixAll(
  host: FixAllHost,
  opts: {
    dryRun: boolean;
    onProgress?: (s: string) => void;
    /** The previewed steps confirmed (check id -> intent): only these, only as previewed. */
    expected?: Record<string, string>;
  },
): Promise<FixAllResult> {
  const first = await host.run();
  if (first.error) throw new Error(first.error);
  const failing = first.checks.filter(needsFix);
  const steps: FixAllStep[] = [];
  for (const r of failing.filter((x) => !x.fix.available))
    steps.push({
      checkId: r.id,
      title: r.title,
      before: r.status,
      outcome: 'skipped',
      summary: `no automatic fix: ${r.fix.reason ?? 'follow the manual steps'}`,
    });
  const fixable = failing.filter((x) => x.fix.available);
  const order = fixOrder(
    host.registry,
    host.registry.filter((c) => fixable.some((r) => r.id === c.id)),
  );
  for (const check of order) {
    const before = fixable.find((r) => r.id === check.id)!;
    const step = { checkId: check.id, title: check.title, before: before.status };
    if (!opts.dryRun) {
      const again = await host.run([check.id]);
      const now = again.checks[0];
      // Judged again as error (the API stopped answering, a read failed): not fixed by anyone.
      if (again.error || !now || now.status === 'error') {
        steps.push({
          ...step,
          outcome: 'failed',
          summary: `not attempted: could not judge it again before fixing (${again.error ?? now?.summary ?? 'no result'})`,
        });
        continue;
      }
      if (!needsFix(now)) {
        steps.push({ ...step, outcome: 'skipped', summary: `now ${now.status}: an earlier step fixed it` });
        continue;
      }
      if (!now.fix.available) {
        steps.push({ ...step, outcome: 'skipped', summary: `no automatic fix now: ${now.fix.reason}` });
        continue;
      }
    }
    if (!opts.dryRun && opts.expected && !(check.id in opts.expected)) {
      steps.push({
        ...step,
        outcome: 'skipped',
        summary: 'not applied: not among the fixes you confirmed (preview again)',
      });
      continue;
    }
    opts.onProgress?.(`${check.id}: ${opts.dryRun ? 'planning' : 'fixing'}`);
    try {
      const onProgress = (s: string) => opts.onProgress?.(`${check.id}: ${s}`);
      // Applying: planned again now (earlier steps changed the cluster), bound to the preview's intent.
      const preview = opts.expected ? await host.fix(check.id, { dryRun: true, onProgress }) : undefined;
      if (preview && opts.expected && planIntent(preview.plan) !== opts.expected[check.id]) {
        steps.push({
          ...step,
          outcome: 'skipped',
          summary: `not applied: its plan changed since you confirmed Fix all (now: ${preview.plan.summary}); review it and fix it on its own`,
        });
        continue;
      }
      const out = await host.fix(check.id, {
        dryRun: opts.dryRun,
        onProgress,
        ...(preview ? { expectedFingerprint: preview.plan.fingerprint, expectedGuards: preview.plan.guards } : {}),
      });
      steps.push({
        ...step,
        outcome: out.outcome,
        summary: out.plan.summary,
        verified: 'verified' in out ? out.verified.status : undefined,
        ...(opts.dryRun ? { intent: planIntent(out.plan) } : {}),
      });
    } catch (e) {
      steps.push({ ...step, outcome: 'failed', summary: errorMessage(e) });
    }
  }
  if (opts.dryRun) return { steps };
  return { steps, after: await host.run() };
}

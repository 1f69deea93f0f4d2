import type { EngineConfig } from '../config';
import { fixAvailability } from './runner';
import type { Snapshot } from './snapshot';
import type { AnyCheck, Finding, FixContext, PlanBody } from './types';

// Unit tests drive a check's steps the way the runner does, without a cluster.

/** locate then judge, as a run does after its probe. */
export function judgeWith(check: AnyCheck, snapshot: Snapshot, probe: unknown, config: EngineConfig): Finding {
  const subject = check.locate?.(snapshot, config);
  return check.judge({ snapshot, subject, probe, config });
}

/** locate, judge, then the fix's plan, as executeFix does (no cluster: reader/actor are absent). */
export async function planWith(
  check: AnyCheck,
  snapshot: Snapshot,
  probe: unknown,
  config: EngineConfig,
  extra: Partial<FixContext> = {},
): Promise<PlanBody> {
  const subject = check.locate?.(snapshot, config);
  const finding = check.judge({ snapshot, subject, probe, config });
  const ctx = {
    snapshot,
    subject,
    probe,
    finding,
    config,
    dryRun: true,
    signal: new AbortController().signal,
    progress: () => undefined,
    ...extra,
  };
  return check.fix!.plan(ctx as FixContext);
}

/** locate, judge, then whether the fix is offered and why not, as the runner decides it. */
export function availabilityWith(
  check: AnyCheck,
  snapshot: Snapshot,
  probe: unknown,
  config: EngineConfig,
): { available: boolean; reason?: string } {
  const subject = check.locate?.(snapshot, config);
  const finding = check.judge({ snapshot, subject, probe, config });
  return fixAvailability(check, { snapshot, subject, probe, finding }, config);
}

/** What a test asserts about a finding: its code, or `pass` (a pass has no code). */
export const outcome = (f: { status: string; code?: string }): string => f.code ?? f.status;

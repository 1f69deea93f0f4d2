import type { CheckStatus } from '../engine/types';

export interface AutoFixLimits {
  /** At most this many automatic fixes of one check per hour. */
  perHour: number;
  /** A check that regresses again within this long after its automatic fix: that fix did not stick. */
  stickMs: number;
  /** After this many fixes in a row that did not stick, auto-fix of that check stops. */
  maxMisses: number;
}

export const DEFAULT_AUTOFIX_LIMITS: AutoFixLimits = { perHour: 3, stickMs: 10 * 60_000, maxMisses: 2 };

const HOUR = 3_600_000;

/**
 * Rate limits for the watch's auto-fix (Robusta's are the model): a fix that keeps being undone is
 * a fight with something else (a GitOps controller, an operator, a person), not a reason to keep
 * writing. Per check: a budget per hour, and a stop after fixes that did not stick twice in a row.
 */
export class AutoFixLimiter {
  private readonly state = new Map<string, { at: number[]; misses: number; lastFix?: number; stopped?: string }>();

  constructor(
    private readonly limits: AutoFixLimits = DEFAULT_AUTOFIX_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  private of(check: string) {
    let s = this.state.get(check);
    if (!s) this.state.set(check, (s = { at: [], misses: 0 }));
    return s;
  }

  /** On a regression: undefined when an automatic fix may be applied, else why not. */
  refusal(check: string): { reason: string; stopped: boolean } | undefined {
    const s = this.of(check);
    const t = this.now();
    if (s.stopped) return { reason: s.stopped, stopped: true };
    if (s.lastFix !== undefined) {
      // It regressed again: the last automatic fix did not stick if that came soon after it.
      s.misses = t - s.lastFix < this.limits.stickMs ? s.misses + 1 : 0;
      s.lastFix = undefined;
    }
    if (s.misses >= this.limits.maxMisses) {
      s.stopped = `auto-fix stopped for ${check}: its automatic fix did not stick ${s.misses} times in a row (undone within ${Math.round(this.limits.stickMs / 60_000)} min, or not verified); something keeps undoing it. The history names what changed and who; fix that, then restart Flywheel Doctor to auto-fix again`;
      return { reason: s.stopped, stopped: true };
    }
    s.at = s.at.filter((x) => t - x < HOUR);
    if (s.at.length >= this.limits.perHour) {
      const next = new Date(s.at[0]! + HOUR).toISOString();
      return {
        reason: `not applied automatically: ${this.limits.perHour} automatic fixes of ${check} in the last hour (the limit); the next is allowed after ${next}`,
        stopped: false,
      };
    }
    return undefined;
  }

  /** An automatic fix was applied; one not verified as pass did not stick either. */
  applied(check: string, verified: CheckStatus | undefined): void {
    const s = this.of(check);
    const t = this.now();
    s.at.push(t);
    if (verified === 'pass') s.lastFix = t;
    else s.misses += 1;
  }

  /** Checks whose auto-fix has stopped, and why. */
  stoppedChecks(): Array<{ check: string; reason: string }> {
    return [...this.state].filter(([, s]) => s.stopped).map(([check, s]) => ({ check, reason: s.stopped! }));
  }
}

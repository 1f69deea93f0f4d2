import { describe, expect, it } from 'vitest';
import { AutoFixLimiter } from './autofix-limit';

const MIN = 60_000;

/** Plays regressions (at minute m, fix verified as v) and says what the limiter answered each time. */
function play(
  events: Array<{ at: number; verified?: 'pass' | 'fail' }>,
  limits = { perHour: 3, stickMs: 10 * MIN, maxMisses: 2 },
) {
  let t = 0;
  const limiter = new AutoFixLimiter(limits, () => t);
  return events.map((e) => {
    t = e.at * MIN;
    const refused = limiter.refusal('gateway-models');
    if (!refused) limiter.applied('gateway-models', e.verified ?? 'pass');
    return refused ? (refused.stopped ? 'stopped' : 'limited') : 'fixed';
  });
}

describe('auto-fix limits', () => {
  it.each([
    [
      'regressions far apart are all fixed',
      [{ at: 0 }, { at: 30 }, { at: 90 }, { at: 150 }],
      ['fixed', 'fixed', 'fixed', 'fixed'],
    ],
    [
      'undone right after each fix: stops after two fixes that did not stick',
      [{ at: 0 }, { at: 1 }, { at: 2 }, { at: 60 }],
      ['fixed', 'fixed', 'stopped', 'stopped'],
    ],
    [
      'a fix that sticks resets the count',
      [{ at: 0 }, { at: 1 }, { at: 61 }, { at: 62 }],
      ['fixed', 'fixed', 'fixed', 'fixed'],
    ],
    [
      'fixes not verified twice in a row: stopped',
      [{ at: 0, verified: 'fail' as const }, { at: 30, verified: 'fail' as const }, { at: 60 }],
      ['fixed', 'fixed', 'stopped'],
    ],
  ])('%s', (_name, events, expected) => {
    expect(play(events)).toEqual(expected);
  });

  it('at most perHour fixes of one check per hour, then the budget frees up', () => {
    // Each regression 15 min after the last fix (it stuck): the fourth within the hour is refused.
    const out = play([{ at: 0 }, { at: 15 }, { at: 30 }, { at: 45 }, { at: 61 }], {
      perHour: 3,
      stickMs: 10 * MIN,
      maxMisses: 2,
    });
    expect(out).toEqual(['fixed', 'fixed', 'fixed', 'limited', 'fixed']);
  });

  it('says which checks stopped and why', () => {
    let t = 0;
    const l = new AutoFixLimiter(undefined, () => t);
    for (const m of [0, 1, 2]) {
      t = m * MIN;
      if (!l.refusal('pod-health')) l.applied('pod-health', 'pass');
    }
    expect(l.stoppedChecks()).toEqual([
      { check: 'pod-health', reason: expect.stringMatching(/did not stick 2 times in a row/) },
    ]);
  });
});

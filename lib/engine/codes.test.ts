import { describe, expect, it } from 'vitest';
import {
  coded,
  codedList,
  defineCodes,
  FindingsTuningSchema,
  item,
  renderSummary,
  tuneFinding,
  unknownCodes,
  type FindingsTuning,
} from './codes';
import type { Finding } from './types';

const codes = defineCodes({
  'FD-TT-001': { severity: 'fail', title: 'model missing', summary: '{model} is not registered', fix: 'register it' },
  'FD-TT-002': { severity: 'warn', title: 'drift', summary: 'drift for {model} ({why})', fix: 'sync it' },
});

const tuning = (t: unknown): FindingsTuning => FindingsTuningSchema.parse(t);
const NOW = new Date('2026-12-05T12:00:00Z');
const failing = coded(codes, 'FD-TT-001', { model: 'llama' }, { evidence: [] });

describe('finding codes', () => {
  it('renders the summary from the code and its parameters, with the code and severity on the finding', () => {
    expect(failing).toMatchObject({
      status: 'fail',
      code: 'FD-TT-001',
      summary: 'llama is not registered',
      params: { model: 'llama' },
    });
  });

  it('refuses to render a placeholder it has no value for', () => {
    expect(() => renderSummary(codes['FD-TT-002'], { model: 'x' })).toThrow(/no value for \{why\}/);
  });

  it('reports several findings under the first one’s code, each rendered, after a lead', () => {
    const f = codedList(
      codes,
      [item(codes, 'FD-TT-001', { model: 'a' }), item(codes, 'FD-TT-002', { model: 'b', why: 'c' })],
      { evidence: [] },
      'Evaluations fail: ',
    );
    expect(f).toMatchObject({
      status: 'fail',
      code: 'FD-TT-001',
      summary: 'Evaluations fail: a is not registered; drift for b (c)',
    });
  });
});

describe('tuning a finding by its code', () => {
  const pass: Finding = { status: 'pass', summary: 'ok', evidence: [] };
  it.each<[string, Finding, unknown, string, Record<string, unknown>]>([
    ['untuned', failing, {}, 'fail', {}],
    ['lowered to warn', failing, { severity: { 'FD-TT-001': 'warn' } }, 'warn', { defaultSeverity: 'fail' }],
    ['an override equal to the default changes nothing', failing, { severity: { 'FD-TT-001': 'fail' } }, 'fail', {}],
    [
      'suppressed in this namespace',
      failing,
      { suppress: [{ code: 'FD-TT-001', namespace: 'flywheel', reason: 'known', by: 'alice' }] },
      'fail',
      { suppressed: { reason: 'known', by: 'alice' } },
    ],
    [
      'suppressed until a date still ahead',
      failing,
      { suppress: [{ code: 'FD-TT-001', namespace: 'flywheel', reason: 'r', by: 'b', expires: '2027-01-01' }] },
      'fail',
      { suppressed: { reason: 'r', by: 'b', expires: '2027-01-01' } },
    ],
    [
      'a suppression that has ended shows the finding again and says so',
      failing,
      { suppress: [{ code: 'FD-TT-001', namespace: 'flywheel', reason: 'r', by: 'b', expires: '2026-12-01' }] },
      'fail',
      { expiredSuppression: { code: 'FD-TT-001', expires: '2026-12-01' } },
    ],
    [
      'a suppression for another namespace does not apply',
      failing,
      { suppress: [{ code: 'FD-TT-001', namespace: 'other', reason: 'r', by: 'b' }] },
      'fail',
      {},
    ],
    ['a pass is never tuned', pass, { severity: { 'FD-TT-001': 'warn' } }, 'pass', {}],
  ])('%s', (_name, finding, config, status, extra) => {
    const tuned = tuneFinding(finding, tuning(config), 'flywheel', NOW);
    expect(tuned.finding.status).toBe(status);
    expect(tuned).toMatchObject(extra);
    for (const key of ['defaultSeverity', 'suppressed', 'expiredSuppression'])
      if (!(key in extra)) expect(tuned, key).not.toHaveProperty(key);
  });

  it('names configured codes that no check produces', () => {
    const t = tuning({
      severity: { 'FD-TT-001': 'warn', 'FD-XX-009': 'fail' },
      suppress: [{ code: 'FD-YY-001', namespace: 'n', reason: 'r', by: 'b' }],
    });
    expect(unknownCodes(t, new Set(['FD-TT-001']))).toEqual(['FD-XX-009', 'FD-YY-001']);
  });

  it.each([
    ['a suppression without a reason', { suppress: [{ code: 'FD-TT-001', namespace: 'n', by: 'b' }] }],
    [
      'a suppression with a date that is not one',
      { suppress: [{ code: 'FD-TT-001', namespace: 'n', reason: 'r', by: 'b', expires: 'soon' }] },
    ],
    ['a severity that is not one', { severity: { 'FD-TT-001': 'fatal' } }],
    ['a code that is not one', { severity: { 'gateway-models': 'warn' } }],
  ])('rejects %s', (_name, config) => {
    expect(FindingsTuningSchema.safeParse(config).success).toBe(false);
  });
});

import { z } from 'zod';
import type { CheckStatus, Evidence, Finding } from './types';

/**
 * Stable finding codes: every distinct finding a check can produce has a code (FD-GW-012), its
 * default severity, its wording and its remedy in the check's `codes.ts`. The summary a user reads
 * is rendered from the code and the finding's parameters, so tests assert codes and users tune them
 * (severity overrides, suppressions) without depending on prose.
 */
export type Severity = Exclude<CheckStatus, 'pass'>;

export const SEVERITIES = ['fail', 'warn', 'error', 'skipped'] as const satisfies readonly Severity[];

export interface CodeSpec {
  severity: Severity;
  /** The finding in a few words: the README's code list, the dashboard's code chip. */
  title: string;
  /** The result's summary; `{name}` placeholders are filled from the finding's parameters. */
  summary: string;
  /** What to do about it, in one line (the check's manual steps give the commands). */
  fix: string;
}

export type CodeTable = Readonly<Record<string, CodeSpec>>;

export const CODE_PATTERN = /^FD-[A-Z]{2,6}-\d{3}$/;

/** The placeholders a summary template names: `{model}` -> 'model'. */
type Placeholders<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Placeholders<Rest> : never;

export type ParamValue = string | number;
export type ParamsOf<S extends string> = { [K in Placeholders<S>]: ParamValue };

/** Keeps the table's literal types, so `coded` knows each summary's placeholders. */
export function defineCodes<const T extends Record<string, CodeSpec>>(table: T): T {
  return table;
}

const PLACEHOLDER = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** The summary of a code with its parameters; a placeholder without a value is a programming error. */
export function renderSummary(spec: CodeSpec, params: Readonly<Record<string, ParamValue>>): string {
  return spec.summary.replace(PLACEHOLDER, (_, name: string) => {
    const v = params[name];
    if (v === undefined) throw new Error(`finding "${spec.title}": no value for {${name}}`);
    return String(v);
  });
}

export interface FindingDetails {
  evidence: Evidence[];
  rootCause?: string;
  manualFix?: string[];
}

/**
 * A finding by its code: the status is the code's severity and the summary its rendered wording.
 * `table` is the check's own codes; the code must be one of them (checked by the compiler).
 */
export function coded<T extends CodeTable, K extends keyof T & string>(
  table: T,
  code: K,
  params: ParamsOf<T[K]['summary']>,
  details: FindingDetails,
): Finding {
  const spec = table[code]!;
  const p = params as Record<string, ParamValue>;
  return { status: spec.severity, summary: renderSummary(spec, p), code, params: p, ...details };
}

/** One of several findings a check reports together (a problem per Secret, per workload). */
export interface CodedItem {
  code: string;
  params: Record<string, ParamValue>;
}

/** A typed item for `codedList`: the code must be the table's and the params its placeholders. */
export function item<T extends CodeTable, K extends keyof T & string>(
  _table: T,
  code: K,
  params: ParamsOf<T[K]['summary']>,
): CodedItem {
  return { code, params: params as Record<string, ParamValue> };
}

/**
 * Several findings as one result: the first item (the caller puts the most severe first) gives the
 * code and severity; the summary renders every item, in order.
 */
export function codedList<T extends CodeTable>(
  table: T,
  items: readonly CodedItem[],
  details: FindingDetails,
  /** What the items add up to, said once before them (e.g. "Training stays at 0 %: "). */
  lead = '',
): Finding {
  const first = items[0]!;
  return {
    status: table[first.code]!.severity,
    summary: lead + items.map((i) => renderSummary(table[i.code]!, i.params)).join('; '),
    code: first.code,
    params: first.params,
    ...details,
  };
}

/** The engine's own findings: a check that could not run at all. */
export const ENGINE_CODES = defineCodes({
  'FD-RUN-001': {
    severity: 'error',
    title: 'the check could not run',
    summary: '{reason}',
    fix: 'Read the message: usually a permission the doctor lacks or a slow cluster (raise checkTimeoutMs).',
  },
  'FD-RUN-002': {
    severity: 'error',
    title: 'the namespace cannot be read',
    summary: '{reason}',
    fix: 'Check that the API server answers and that --namespace names an existing namespace.',
  },
});

// ---- tuning: the configuration's `findings` section -------------------------------------------

export const SuppressionSchema = z.object({
  code: z.string().regex(CODE_PATTERN, 'a finding code such as FD-GW-012'),
  namespace: z.string().min(1),
  reason: z.string().min(1, 'say why the finding is accepted'),
  by: z.string().min(1, 'say who accepted it'),
  /** ISO date or date-time; the suppression ends then and the finding shows again. */
  expires: z
    .string()
    .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO date such as 2027-01-31')
    .optional(),
});
export type Suppression = z.output<typeof SuppressionSchema>;

export const FindingsTuningSchema = z
  .object({
    /** Raise or lower a code's severity: { "FD-GW-021": "warn" }. */
    severity: z.record(z.string().regex(CODE_PATTERN), z.enum(SEVERITIES)).default({}),
    /** Accepted findings: shown as suppressed, with who and why, never dropped. */
    suppress: z.array(SuppressionSchema).default([]),
  })
  .prefault({});
export type FindingsTuning = z.output<typeof FindingsTuningSchema>;

/** What a result carries when a suppression applies to it. */
export interface SuppressedBy {
  reason: string;
  by: string;
  expires?: string;
}

export interface TunedFinding {
  finding: Finding;
  /** The code's default severity when the configuration changed it. */
  defaultSeverity?: Severity;
  suppressed?: SuppressedBy;
  /** A suppression of this code for this namespace that has ended (so the finding shows again). */
  expiredSuppression?: Suppression;
}

/** Applies the configuration's tuning to one finding: severity override, then suppression. */
export function tuneFinding(
  finding: Finding,
  tuning: FindingsTuning | undefined,
  namespace: string,
  now: Date = new Date(),
): TunedFinding {
  if (!finding.code || !tuning || finding.status === 'pass') return { finding };
  const override = tuning.severity[finding.code];
  const tuned = override && override !== finding.status ? { ...finding, status: override } : finding;
  const matching = tuning.suppress.filter((s) => s.code === finding.code && s.namespace === namespace);
  const active = matching.find((s) => !s.expires || Date.parse(s.expires) > now.getTime());
  return {
    finding: tuned,
    ...(tuned !== finding ? { defaultSeverity: finding.status as Severity } : {}),
    ...(active ? { suppressed: { reason: active.reason, by: active.by, expires: active.expires } } : {}),
    ...(!active && matching.length ? { expiredSuppression: matching[0] } : {}),
  };
}

/** Codes the configuration names that no check produces (a typo would silently tune nothing). */
export function unknownCodes(tuning: FindingsTuning, known: ReadonlySet<string>): string[] {
  const named = [...Object.keys(tuning.severity), ...tuning.suppress.map((s) => s.code)];
  return [...new Set(named.filter((c) => !known.has(c)))];
}

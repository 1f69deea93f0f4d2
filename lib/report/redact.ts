import type { CheckResult, RunResult } from '../engine/types';

/** What a redaction masked: the kind of value and where, never the value itself. */
export interface Masked {
  where: string;
  kind: string;
}

const CREDENTIAL_KEY =
  '[A-Za-z0-9_.-]*(?:token|password|passwd|(?<=_)pass|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|credential)[A-Za-z0-9_]*';

/** What every CREDENTIAL_KEY contains (`pass` for password, passwd and _pass). */
const CREDENTIAL_HINT = /token|pass|pwd|secret|api[_-]?key|access[_-]?key|private[_-]?key|credential/i;

/** Values that are never credentials: masking them would break the JSON or YAML they sit in. */
const NOT_A_VALUE = /^(true|false|null|none|yes|no)$/i;

/** A run of base64 that is a key, not a word or a path: mixed case and digits, few slashes. */
const looksLikeKey = (blob: string) =>
  /[A-Z]/.test(blob) &&
  /[a-z]/.test(blob) &&
  /\d/.test(blob) &&
  !blob.startsWith('/') &&
  !blob.includes('//') &&
  (blob.match(/\//g)?.length ?? 0) * 10 <= blob.length;

/**
 * Each rule: `hint`, a cheap test every match of `re` passes (a literal it must contain), so a text
 * without it skips the rule's scan (most strings hold none); `replace` gives the replacement, or
 * undefined to leave the match as it is (it was not a value after all).
 */
export const REDACTION_RULES: Array<{
  kind: string;
  hint: RegExp;
  re: RegExp;
  replace: (m: string, ...g: string[]) => string | undefined;
}> = [
  {
    // The password may hold `@` and `/` (greedy to the last `@` of the word).
    kind: 'credentials in URL',
    hint: /:\/\//,
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]+):(\S+)@/gi,
    replace: (_m, scheme) => `${scheme}***:***@`,
  },
  {
    // https://TOKEN@github.com: a user part alone, long enough to be a token.
    kind: 'token in URL',
    hint: /:\/\//,
    re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@*]{8,})@/gi,
    replace: (_m, scheme) => `${scheme}***@`,
  },
  {
    kind: 'bearer token',
    hint: /bearer/i,
    re: /\b(Bearer\s+)[A-Za-z0-9\-._~+/]{8,}=*/gi,
    replace: (_m, p) => `${p}***`,
  },
  {
    kind: 'JWT',
    hint: /eyJ/,
    re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
    replace: () => '***JWT***',
  },
  {
    kind: 'API key',
    hint: /nvapi-|hf_|gh[pos]_|github_pat_|glpat-|sk-|xox[abp]-/,
    re: /\b(nvapi-|hf_|ghp_|gho_|ghs_|github_pat_|glpat-|sk-|xox[abp]-)[A-Za-z0-9\-_]{8,}/g,
    replace: (_m, p) => `${p}***`,
  },
  { kind: 'AWS access key id', hint: /AKIA|ASIA/, re: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, replace: (_m, p) => `${p}***` },
  { kind: 'basic credentials', hint: /basic/i, re: /\b(Basic\s+)[A-Za-z0-9+/]{6,}=*/gi, replace: (_m, p) => `${p}***` },
  {
    // Authorization: Token …, ApiKey …, or any other scheme (Bearer and Basic are masked above).
    kind: 'authorization header',
    hint: /authorization/i,
    re: /\b((?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:[A-Za-z][\w-]*\s+)?)([^\s"';,]{6,})/gi,
    replace: (_m, p, value) => (value === '***' ? undefined : `${p}***`),
  },
  {
    kind: 'cookie',
    hint: /cookie/i,
    re: /\b((?:set-)?cookie["']?\s*:\s*["']?)([^\r\n"']+)/gi,
    replace: (_m, p) => `${p}***`,
  },
  {
    // nginx header directives (gateway plans carry the whole nginx.conf): the value after a
    // credential-looking header name. Variables ($http_authorization) are not values.
    kind: 'credential header',
    hint: /_header/i,
    re: /\b((?:proxy_set_header|add_header|grpc_set_header|more_set_headers|more_set_input_headers)\s+["']?[\w-]*(?:key|token|secret|auth[\w-]*|password|cookie|session)[\w-]*["']?\s+)("[^"\n]*"|'[^'\n]*'|[^\s;]+)/gi,
    replace: (_m, p, value) => {
      const q = /^["']/.test(value!) ? value![0]! : '';
      return value!.replace(/^["']/, '').startsWith('$') ? undefined : `${p}${q}***${q}`;
    },
  },
  {
    // password: "two words" (a quoted value with spaces; one-word values are the next rule's).
    kind: 'credential assignment',
    hint: CREDENTIAL_HINT,
    re: new RegExp(`\\b(${CREDENTIAL_KEY})(["']?\\s*[=:]\\s*)(["'])([^"'\\n]*\\s[^"'\\n]*)\\3`, 'gi'),
    replace: (_m, k, sep, q) => `${k}${sep}${q}***${q}`,
  },
  {
    // KEY=value, key: value, "key": "value", ?apiKey=value — any case; keys that name a credential.
    kind: 'credential assignment',
    hint: CREDENTIAL_HINT,
    re: new RegExp(`\\b(${CREDENTIAL_KEY})(["']?\\s*[=:]\\s*)(["']?)([^\\s"',;&}]{4,})\\3`, 'gi'),
    // A placeholder (`<your NGC API key>`) or the next key (`secrets: verbs: get`) is not a value:
    // masking it breaks the command or the sentence it sits in and hides nothing.
    replace: (_m, k, sep, q, value) =>
      value!.startsWith('<') || value!.endsWith(':') || NOT_A_VALUE.test(value!) || value === '***'
        ? undefined
        : `${k}${sep}${q}***${q}`,
  },
  {
    // AWS secret keys, service-account keys, any long random base64 (after the named rules).
    kind: 'key material',
    hint: /[A-Za-z0-9+/]{40}/,
    re: /(?<![A-Za-z0-9+/=*])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])/g,
    replace: (m) => (looksLikeKey(m) ? '***' : undefined),
  },
];

/**
 * Object keys whose string values are credentials whatever they look like (`{"password": "x"}` in a
 * patch value has no pattern to find). Names of secrets (`secretName`, `secretKeyRef`) are not values.
 */
const SENSITIVE_KEY =
  /(password|passwd|pwd|[-_]pass|token|secret|api[-_]?key|access[-_]?key|private[-_]?key|credentials?)$/i;
export const isSensitiveKey = (key: string) => SENSITIVE_KEY.test(key);

export interface RedactOptions {
  /** Replace the namespace and API host names with placeholders. */
  anonymize?: { namespace?: string; hosts?: string[] };
}

export function redactText(text: string, where: string, masked: Masked[], opts: RedactOptions = {}): string {
  let out = text;
  for (const rule of REDACTION_RULES) {
    if (!rule.hint.test(out)) continue;
    out = out.replace(rule.re, (...args) => {
      const replaced = rule.replace(...(args as [string, ...string[]]));
      if (replaced === undefined) return args[0] as string;
      masked.push({ where, kind: rule.kind });
      return replaced;
    });
  }
  if (opts.anonymize?.namespace) out = out.split(opts.anonymize.namespace).join('<namespace>');
  for (const h of opts.anonymize?.hosts ?? []) if (h) out = out.split(h).join('<host>');
  return out;
}

export function redactCheck(c: CheckResult, masked: Masked[] = [], opts: RedactOptions = {}): CheckResult {
  const r = (s: string, where: string) => redactText(s, `${c.id}: ${where}`, masked, opts);
  return {
    ...c,
    summary: r(c.summary, 'summary'),
    rootCause: r(c.rootCause, 'root cause'),
    manualFix: c.manualFix.map((m) => r(m, 'manual fix')),
    evidence: c.evidence.map((e) => ({
      ...e,
      label: r(e.label, 'evidence label'),
      value: r(e.value, `evidence "${e.label}"`),
    })),
  };
}

/** Masks credential-looking values in a run; returns the masked run and what was masked. */
export function redactRun(run: RunResult, opts: RedactOptions = {}): { run: RunResult; masked: Masked[] } {
  const masked: Masked[] = [];
  const checks = run.checks.map((c) => redactCheck(c, masked, opts));
  const namespace = opts.anonymize?.namespace ? '<namespace>' : run.namespace;
  return { run: { ...run, namespace, checks }, masked };
}

/**
 * Every string in a JSON-like value, masked by pattern, and every string under a credential key
 * masked whole: the one pass every sink goes through (API responses, streamed lines, errors, CLI
 * output, and what is written to the cluster: Events, the run history, stored reports).
 */
export function redactDeep<T>(value: T, masked: Masked[] = [], where = 'response'): T {
  const walk = (v: unknown, path: string): unknown => {
    if (typeof v === 'string') return redactText(v, path, masked);
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${path}[${i}]`));
    if (v && typeof v === 'object') {
      // An env-style pair ({name: DB_PASS, value: ...}): the name says what the value is.
      const named = typeof (v as { name?: unknown }).name === 'string' && isSensitiveKey((v as { name: string }).name);
      return Object.fromEntries(
        Object.entries(v).map(([k, x]) => {
          if (typeof x === 'string' && x && (isSensitiveKey(k) || (named && k === 'value'))) {
            masked.push({ where: `${path}.${k}`, kind: 'credential field' });
            return [k, '***'];
          }
          return [k, walk(x, `${path}.${k}`)];
        }),
      );
    }
    return v;
  };
  return walk(value, where) as T;
}

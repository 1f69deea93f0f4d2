/**
 * Where the configuration's values come from, merged in precedence order, before any schema sees
 * them. Kept free of zod so the CLI can tell which namespace a run will read (cli/early-reads.ts)
 * before the engine and its schemas have loaded; lib/config.ts parses what this merges.
 */
import type { ConfigInput } from './config';

/** Parses "a=b,c=d" into a record; throws with the offending entry on malformed input. */
export function parseOverrides(raw: string | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`${what}: "${part}" is not NAME=VALUE`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/**
 * Defaults, then the JSON configuration in FD_CONFIG, then FD_SERVICE_URL_OVERRIDES, then explicit
 * overrides (CLI flags, request fields): the unparsed configuration.
 */
export function mergeConfigInput(
  overrides: ConfigInput,
  env: Record<string, string | undefined>,
  defaults: ConfigInput,
): ConfigInput {
  let fromFile: ConfigInput = {};
  if (env.FD_CONFIG) {
    try {
      fromFile = JSON.parse(env.FD_CONFIG) as ConfigInput;
    } catch (e) {
      throw new Error(`FD_CONFIG is not valid JSON: ${(e as Error).message}`);
    }
  }
  return {
    ...stripUndefined(defaults),
    ...fromFile,
    serviceUrlOverrides: {
      ...(fromFile.serviceUrlOverrides ?? {}),
      ...parseOverrides(env.FD_SERVICE_URL_OVERRIDES, 'FD_SERVICE_URL_OVERRIDES'),
    },
    ...stripUndefined(overrides),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The namespace when nothing names one. */
export const DEFAULT_NAMESPACE = 'flywheel';

/**
 * The namespace rule's top: one named explicitly (a CLI flag, a request field), else FD_NAMESPACE.
 * Below them come FD_CONFIG's and the kubeconfig context's (mergeConfigInput's defaults), then
 * DEFAULT_NAMESPACE.
 */
export function explicitNamespace(named: string | undefined, env: Record<string, string | undefined>) {
  return named ?? env.FD_NAMESPACE;
}

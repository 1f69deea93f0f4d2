import { z } from 'zod';
import { FindingsTuningSchema } from './engine/codes';
import { NamespaceSchema } from './k8s/names';

/**
 * The engine's own settings. Everything a check needs beyond these (resource names, thresholds)
 * is a configuration section the check declares; the full schema is assembled from the registry
 * (see configSchemaFor), so this file does not change when checks are added.
 */
export const BaseConfigShape = {
  namespace: NamespaceSchema.default('flywheel'),
  checkTimeoutMs: z.number().int().positive().default(60_000),
  rolloutTimeoutMs: z.number().int().positive().default(180_000),
  /**
   * Reach in-cluster Services from outside the cluster (local dev, the demo cluster):
   * service name -> base URL. Set with FD_SERVICE_URL_OVERRIDES="svc=http://127.0.0.1:18080,...".
   */
  serviceUrlOverrides: z.record(z.string(), z.string().url()).default({}),
  /** Tuning of finding codes: severity overrides and suppressions per namespace (lib/engine/codes). */
  findings: FindingsTuningSchema,
};

export const BaseConfigSchema = z.object(BaseConfigShape);
export type BaseConfig = z.output<typeof BaseConfigSchema>;

/** Named configuration sections, each a zod schema with defaults (e.g. `gateway`, `models`). */
export type ConfigSections = Record<string, z.ZodType>;

/** The configuration a check sees: the engine's settings plus the sections it declared. */
export type ConfigOf<S extends ConfigSections> = BaseConfig & { [K in keyof S]: z.output<S[K]> };

/** The engine holds the whole configuration without knowing the sections' shapes. */
export type EngineConfig = BaseConfig & Record<string, unknown>;

export type ConfigInput = Partial<z.input<typeof BaseConfigSchema>> & Record<string, unknown>;

/** The schema of the whole configuration: the engine's settings plus every section the checks declare. */
export function configSchema(sections: ConfigSections) {
  return z.object({ ...BaseConfigShape, ...sections });
}

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
 * Builds the configuration from defaults, an optional JSON config (FD_CONFIG), environment
 * variables and explicit overrides (CLI flags / request fields), in that order. The namespace
 * rule (flag, FD_NAMESPACE, FD_CONFIG, kubeconfig context) lives in createDoctor.
 */
export function loadConfig(
  schema: z.ZodType<EngineConfig, unknown>,
  overrides: ConfigInput = {},
  env: Record<string, string | undefined> = process.env,
  /** Lowest-precedence values (e.g. the kubeconfig context's namespace). */
  defaults: ConfigInput = {},
): EngineConfig {
  let fromFile: ConfigInput = {};
  if (env.FD_CONFIG) {
    try {
      fromFile = JSON.parse(env.FD_CONFIG) as ConfigInput;
    } catch (e) {
      throw new Error(`FD_CONFIG is not valid JSON: ${(e as Error).message}`);
    }
  }
  const merged = {
    ...stripUndefined(defaults),
    ...fromFile,
    serviceUrlOverrides: {
      ...(fromFile.serviceUrlOverrides ?? {}),
      ...parseOverrides(env.FD_SERVICE_URL_OVERRIDES, 'FD_SERVICE_URL_OVERRIDES'),
    },
    ...stripUndefined(overrides),
  };
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${issues}`);
  }
  return parsed.data;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Base URL of an in-cluster Service as the doctor should reach it (override, else cluster DNS). */
export function serviceBaseUrl(config: BaseConfig, service: string, port?: number): string {
  const override = config.serviceUrlOverrides[service];
  if (override) return override.replace(/\/$/, '');
  return `http://${service}.${config.namespace}.svc${port && port !== 80 ? `:${port}` : ''}`;
}

import { z } from 'zod';
import { FindingsTuningSchema } from './engine/codes';
import { NamespaceSchema } from './k8s/names';
import { DEFAULT_NAMESPACE, mergeConfigInput } from './config-input';

/**
 * The engine's own settings. Everything a check needs beyond these (resource names, thresholds)
 * is a configuration section the check declares; the full schema is assembled from the registry
 * (see configSchemaFor), so this file does not change when checks are added.
 */
export const BaseConfigShape = {
  namespace: NamespaceSchema.default(DEFAULT_NAMESPACE),
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
  const merged = mergeConfigInput(overrides, env, defaults);
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new Error(`invalid configuration: ${issues}`);
  }
  return parsed.data;
}

/** Base URL of an in-cluster Service as the doctor should reach it (override, else cluster DNS). */
export function serviceBaseUrl(config: BaseConfig, service: string, port?: number): string {
  const override = config.serviceUrlOverrides[service];
  if (override) return override.replace(/\/$/, '');
  return `http://${service}.${config.namespace}.svc${port && port !== 80 ? `:${port}` : ''}`;
}

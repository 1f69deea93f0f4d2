import { z } from 'zod';

/**
 * Everything that names a resource is configurable. Defaults are the NIM Operator names from
 * the troubleshooting guide; the upstream helm chart's names are detected at run time
 * (see resolveNames in engine/names.ts).
 */
export const DoctorConfigSchema = z.object({
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a valid namespace name').default('flywheel'),
  evaluator: z
    .object({
      crName: z.string().default('nemoevaluator-sample'),
      deployment: z.string().optional(), // default: same as crName, or helm's nemo-evaluator
      container: z.string().optional(), // default: <deployment>-ctr, else the one carrying ENTITY_STORE_URL
      role: z.string().optional(),
      serviceAccount: z.string().optional(),
    })
    .default({ crName: 'nemoevaluator-sample' }),
  gateway: z
    .object({
      deployment: z.string().default('nemo-gateway'),
      service: z.string().default('nemo-gateway'),
      configMap: z.string().default('nemo-gateway-config'),
      configKey: z.string().default('nginx.conf'),
      /** Where to reach the gateway over HTTP; default http://<service>.<namespace>.svc. */
      url: z.string().url().optional(),
    })
    .default({ deployment: 'nemo-gateway', service: 'nemo-gateway', configMap: 'nemo-gateway-config', configKey: 'nginx.conf' }),
  models: z
    .object({
      pvc: z.string().default('finetuning-ms-models-pvc'),
      mountPath: z.string().default('/mount/models'),
      /** GID the chown fix assigns (the guide uses 1000). */
      gid: z.number().int().nonnegative().default(1000),
      probeImage: z.string().default('registry.access.redhat.com/ubi9/ubi-minimal:latest'),
      /** Service account for the root chown pod; needs an SCC such as anyuid on OpenShift. */
      fixServiceAccount: z.string().default('default'),
      probeTimeoutSeconds: z.number().int().positive().default(90),
    })
    .default({ pvc: 'finetuning-ms-models-pvc', mountPath: '/mount/models', gid: 1000, probeImage: 'registry.access.redhat.com/ubi9/ubi-minimal:latest', fixServiceAccount: 'default', probeTimeoutSeconds: 90 }),
  dataFlywheel: z
    .object({
      configMap: z.string().default('df-config'),
      configKey: z.string().default('config.yaml'),
      /** Base models checked beyond those found in df-config and NIMServices. */
      extraModels: z.array(z.string()).default([]),
    })
    .default({ configMap: 'df-config', configKey: 'config.yaml', extraModels: [] }),
  podHealth: z
    .object({
      restartThreshold: z.number().int().nonnegative().default(5),
      logTailLines: z.number().int().positive().max(200).default(20),
      expectedDeployments: z.array(z.string()).default([]),
    })
    .default({ restartThreshold: 5, logTailLines: 20, expectedDeployments: [] }),
  checkTimeoutMs: z.number().int().positive().default(60_000),
  rolloutTimeoutMs: z.number().int().positive().default(180_000),
  /**
   * Reach in-cluster Services from outside the cluster (local dev, the demo cluster):
   * service name -> base URL. Set with FD_SERVICE_URL_OVERRIDES="svc=http://127.0.0.1:18080,...".
   */
  serviceUrlOverrides: z.record(z.string(), z.string().url()).default({}),
});

export type DoctorConfig = z.infer<typeof DoctorConfigSchema>;
export type DoctorConfigInput = z.input<typeof DoctorConfigSchema>;

/** Parses "a=b,c=d" into a record; throws with the offending entry on malformed input. */
export function parseOverrides(raw: string | undefined, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const part of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new Error(`${what}: "${part}" is not NAME=VALUE`);
    out[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return out;
}

/**
 * Builds the configuration from defaults, an optional JSON config (FD_CONFIG), environment
 * variables and explicit overrides (CLI flags / request fields), in that order.
 */
export function loadConfig(overrides: DoctorConfigInput = {}, env: Record<string, string | undefined> = process.env): DoctorConfig {
  let fromFile: DoctorConfigInput = {};
  if (env.FD_CONFIG) {
    try {
      fromFile = JSON.parse(env.FD_CONFIG) as DoctorConfigInput;
    } catch (e) {
      throw new Error(`FD_CONFIG is not valid JSON: ${(e as Error).message}`);
    }
  }
  const merged = {
    ...fromFile,
    ...(env.FD_NAMESPACE ? { namespace: env.FD_NAMESPACE } : {}),
    serviceUrlOverrides: { ...(fromFile.serviceUrlOverrides ?? {}), ...parseOverrides(env.FD_SERVICE_URL_OVERRIDES, 'FD_SERVICE_URL_OVERRIDES') },
    ...stripUndefined(overrides),
  };
  const parsed = DoctorConfigSchema.safeParse(merged);
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
export function serviceBaseUrl(config: DoctorConfig, service: string, port?: number): string {
  const override = config.serviceUrlOverrides[service];
  if (override) return override.replace(/\/$/, '');
  return `http://${service}.${config.namespace}.svc${port && port !== 80 ? `:${port}` : ''}`;
}

import { ENGINE_CODES, unknownCodes } from './codes';
import { configSchema, loadConfig, type ConfigInput, type ConfigSections } from '../config';
import { explicitNamespace } from '../config-input';
import { KubeAccess } from '../k8s/client';
import { ReportStore } from '../report/store';
import { Doctor, type RunMetrics } from './doctor';
import type { AnyCheck } from './types';

export interface DoctorSetup {
  registry: readonly AnyCheck[];
  kubeconfig?: string;
  context?: string;
  /** Path prefix for the in-cluster service-account files (tests simulating a pod). */
  inClusterPrefix?: string;
  /** HTTP/2 to the API server (the CLI; see lib/k8s/http2.ts). */
  http2?: boolean;
  /** Access already opened from these same options (the CLI's early reads): its connection is reused. */
  access?: KubeAccess;
  /** An explicit namespace (CLI flag); else FD_NAMESPACE, FD_CONFIG, the kubeconfig context's, `flywheel`. */
  namespace?: string;
  /** Configuration overrides on top of FD_CONFIG and the environment. */
  config?: ConfigInput;
  env?: Record<string, string | undefined>;
  /** Where runs and fixes are counted (the server passes its Prometheus metrics); none by default. */
  metrics?: RunMetrics;
}

/** The configuration schema of a registry: the engine's settings plus every section its checks declare. */
export function configSchemaFor(registry: readonly AnyCheck[]) {
  const sections: ConfigSections = {};
  for (const check of registry) {
    for (const [key, schema] of Object.entries<ConfigSections[string]>(check.config ?? {})) {
      // Checks share a section by importing the same schema; two different ones under a key would clash.
      if (sections[key] && sections[key] !== schema)
        throw new Error(`checks declare two different configuration sections named "${key}" (${check.id})`);
      sections[key] = schema;
    }
  }
  const known = new Set([...registry.flatMap((c) => Object.keys(c.codes)), ...Object.keys(ENGINE_CODES)]);
  return configSchema(sections).superRefine((config, ctx) => {
    for (const code of unknownCodes(config.findings, known))
      ctx.addIssue({
        code: 'custom',
        path: ['findings'],
        message: `${code} is not a code any check produces (see the README's list of finding codes)`,
      });
  });
}

/**
 * The one way front doors (web server, CLI, tests) get an engine: one namespace rule, one
 * configuration, one report store, and one answer to "who acted" (Doctor.actingUser).
 */
export function createDoctor(setup: DoctorSetup): Doctor {
  const env = setup.env ?? process.env;
  const access =
    setup.access ??
    new KubeAccess({
      kubeconfig: setup.kubeconfig,
      context: setup.context,
      inClusterPrefix: setup.inClusterPrefix,
      http2: setup.http2,
    });
  const namespace = explicitNamespace(setup.namespace ?? setup.config?.namespace, env);
  const config = loadConfig(configSchemaFor(setup.registry), { ...setup.config, namespace }, env, {
    namespace: access.namespace,
  });
  // Reports live in the app's own namespace, so a permalink needs only the id.
  const reports = new ReportStore(
    access.app(),
    env.FD_REPORT_NAMESPACE ?? access.namespace ?? config.namespace,
    Number(env.FD_REPORT_RETENTION ?? 20),
  );
  return new Doctor(access, config, setup.registry, reports, setup.metrics);
}

import { z } from 'zod';
import { serviceBaseUrl, type ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { FixStep } from '../../lib/engine/steps';
import type { KObject } from '../../lib/k8s/object';
import type { JsonPatchOp } from '../../lib/k8s/client';
import { sleep } from '../../lib/k8s/wait';

/** The nginx nemo-gateway: its Deployment, Service and the ConfigMap holding nginx.conf. */
export const GatewaySection = z
  .object({
    deployment: z.string().default('nemo-gateway'),
    service: z.string().default('nemo-gateway'),
    configMap: z.string().default('nemo-gateway-config'),
    configKey: z.string().default('nginx.conf'),
    /** Where to reach the gateway over HTTP; default http://<service>.<namespace>.svc. */
    url: z.string().url().optional(),
  })
  .prefault({});

export type GatewayConfig = ConfigOf<{ gateway: typeof GatewaySection }>;

/** The gateway's base URL as the doctor reaches it (configured, override, else cluster DNS). */
export function gatewayBase(config: GatewayConfig): string {
  return config.gateway.url?.replace(/\/$/, '') ?? serviceBaseUrl(config, config.gateway.service);
}

/**
 * The one way a gateway fix changes the gateway: edit nginx.conf in its ConfigMap (guarded JSON
 * Patch, when there is an edit), then `rollout restart` (nginx reads its config only at start) and
 * wait until `served()` says the new config answers (the Service switches to the new pod shortly
 * after it is Ready). Gives up on `served` after 30 s: the verification re-run says what is wrong.
 * The engine executes the steps (lib/engine/steps) and locks the ConfigMap and the Deployment.
 */
export function gatewayEditSteps(
  config: GatewayConfig,
  ops: JsonPatchOp[],
  what: string,
  served: (signal: AbortSignal) => Promise<boolean>,
): FixStep[] {
  const { configMap, deployment } = config.gateway;
  return [
    ...(ops.length
      ? [
          {
            kind: 'patch' as const,
            label: `update ConfigMap ${configMap}: ${what}`,
            resource: 'configmaps' as const,
            name: configMap,
            ops,
          },
        ]
      : []),
    {
      kind: 'restart',
      label: `restart Deployment ${deployment} (nginx reads its config only at start)`,
      deployment,
      settle: async (signal, progress) => {
        const deadline = Date.now() + 30_000;
        while (!(await served(signal)) && Date.now() < deadline) await sleep(500, signal);
        progress('gateway rolled out');
      },
    },
  ];
}

/** The latest write to an object, from its managedFields (Kubernetes keeps no modification time). */
export function lastChanged(obj: KObject | undefined): string | undefined {
  const times = ((obj?.metadata?.managedFields ?? []) as Array<{ time?: string }>)
    .map((f) => f.time)
    .filter(Boolean) as string[];
  return times.sort().pop();
}

/**
 * Whether the running gateway can have loaded its ConfigMap: nginx reads it only at start, so a
 * ConfigMap changed after the oldest running gateway pod started is not what is served.
 */
export function gatewayLoad(
  snapshot: Snapshot,
  config: GatewayConfig,
  configMap: KObject | undefined,
): { configChangedAt?: string; gatewayStartedAt?: string; notLoaded: boolean } {
  const starts = snapshot
    .list('pods')
    .filter(
      (p) =>
        p.metadata?.name?.startsWith(`${config.gateway.deployment}-`) &&
        p.status?.phase === 'Running' &&
        !p.metadata?.deletionTimestamp,
    )
    .map((p) => p.status?.startTime as string | undefined)
    .filter(Boolean) as string[];
  const configChangedAt = lastChanged(configMap);
  const gatewayStartedAt = starts.sort()[0];
  return {
    configChangedAt,
    gatewayStartedAt,
    notLoaded: !!configChangedAt && !!gatewayStartedAt && Date.parse(configChangedAt) > Date.parse(gatewayStartedAt),
  };
}

import { z } from 'zod';
import { serviceBaseUrl, type ConfigOf } from '../../lib/config';
import { restartPatch } from '../../lib/engine/plan-helpers';
import type { KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { sleep, waitForRollout } from '../../lib/k8s/wait';

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
 * `rollout restart` of the gateway (nginx reads its config only at start), then wait for the
 * rollout and until `served()` says the new config answers (the Service switches to the new pod
 * shortly after it is Ready). Gives up on `served` after 30 s: the verification re-run says what is wrong.
 */
export async function restartGateway(
  ctx: {
    actor: KubeClient;
    reader: KubeClient;
    config: GatewayConfig & { rolloutTimeoutMs: number };
    dryRun: boolean;
    signal: AbortSignal;
    progress(step: string): void;
  },
  served: () => Promise<boolean>,
): Promise<void> {
  const { actor, reader, config, dryRun, signal, progress } = ctx;
  const name = config.gateway.deployment;
  const dep = await reader.get<KObject>(RESOURCES.deployments, config.namespace, name, { signal });
  await actor.jsonPatch(RESOURCES.deployments, config.namespace, name, restartPatch(dep), { dryRun });
  if (dryRun) return;
  progress(`restarting deployment ${name}`);
  await waitForRollout(reader, config.namespace, name, config.rolloutTimeoutMs, signal, progress);
  const deadline = Date.now() + 30_000;
  while (!(await served()) && Date.now() < deadline) await sleep(500, signal);
  progress('gateway rolled out');
}

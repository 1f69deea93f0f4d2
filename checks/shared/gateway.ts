import { z } from 'zod';
import { serviceBaseUrl, type ConfigOf } from '../../lib/config';

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

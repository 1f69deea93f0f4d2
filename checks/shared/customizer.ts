import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';

/** The NeMo Customizer: its Deployment and the service account its training pods run as. */
export const CustomizerSection = z
  .object({
    deployment: z.string().default('nemocustomizer-sample'),
    serviceAccount: z.string().default('nemocustomizer-sample'),
    /** The SCC the OpenShift port creates for training and entity-handler pods. */
    scc: z.string().default('nemo-customizer-scc'),
  })
  .prefault({});

export type CustomizerConfig = ConfigOf<{ customizer: typeof CustomizerSection }>;

/** Customization is deployed here (its Deployment exists): the checks about training apply. */
export const customizerDeployed = (snapshot: Snapshot, config: CustomizerConfig) =>
  !!snapshot.find('deployments', config.customizer.deployment);

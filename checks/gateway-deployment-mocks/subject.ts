// gateway-deployment-mocks: its configuration, the deployment-management paths and what the ConfigMap configures for them.
import { parseYamlOnce as parseYaml } from '../shared/yaml';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KObject } from '../../lib/k8s/object';
import { DataFlywheelSection } from '../shared/entity-store';
import { gatewayBase, GatewaySection } from '../shared/gateway';
import { readGatewayConfig, type GatewayConfigView } from '../shared/gateway-config';

export const sections = { gateway: GatewaySection, dataFlywheel: DataFlywheelSection };
export type Config = ConfigOf<typeof sections>;

export const COLLECTION_PATH = '/v1/deployment/model-deployments';
/** The flywheel's "is this NIM deployed?" lookup: its namespace, and the model with "/" as "-". */
export const itemPath = (nmpNamespace: string, model: string) =>
  `${COLLECTION_PATH}/${nmpNamespace}/${model.replace(/\//g, '-')}`;

/** One path the flywheel calls, and what the answer must be. */
export interface DeploymentPath {
  path: string;
  kind: 'item' | 'collection';
  model?: string;
  body: string;
}

export interface DeploymentSubject {
  paths: DeploymentPath[];
  problems: string[];
  gatewayUrl: string;
  configMap?: KObject;
  deployment?: KObject;
  view?: GatewayConfigView;
}

/**
 * A model deployment as the deployment-management API returns it, with every field the SDK's
 * `ModelDeployment` requires (config, status_details, url), so strict clients accept it too.
 */
export function deploymentRecord(nmpNamespace: string, model: string, nimUrl: string) {
  return {
    name: model.replace(/\//g, '-'),
    namespace: nmpNamespace,
    config: `${nmpNamespace}/${model.replace(/\//g, '-')}`,
    url: nimUrl,
    models: [model],
    deployed: true,
    status_details: { status: 'ready', description: 'NIM deployed by the NIM Operator (answered by nemo-gateway)' },
  };
}

export function locateDeploymentSubject(snapshot: Snapshot, config: Config): DeploymentSubject {
  const { configMap: dfName, configKey } = config.dataFlywheel;
  const problems: string[] = [];
  let nmp: string | undefined;
  let nimUrl = '';
  let models: string[] = [];
  const raw = snapshot.find('configmaps', dfName)?.data?.[configKey];
  if (raw === undefined)
    problems.push(`ConfigMap ${dfName} key ${configKey} not found: the flywheel's NIMs are not known`);
  else {
    try {
      const doc = parseYaml(raw) as {
        nmp_config?: { nmp_namespace?: string; nim_base_url?: string };
        nims?: Array<{ model_name?: string }>;
      };
      nmp = doc?.nmp_config?.nmp_namespace;
      nimUrl = typeof doc?.nmp_config?.nim_base_url === 'string' ? doc.nmp_config.nim_base_url : '';
      models = (doc?.nims ?? []).map((n) => n.model_name).filter((m): m is string => typeof m === 'string' && !!m);
      if (!nmp) problems.push(`${dfName} has no nmp_config.nmp_namespace`);
    } catch (e) {
      problems.push(`${dfName} ${configKey} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const items = nmp ? models.map((m) => deploymentRecord(nmp!, m, nimUrl)) : [];
  const paths: DeploymentPath[] = nmp
    ? [
        ...models.map((m, i) => ({
          path: itemPath(nmp!, m),
          kind: 'item' as const,
          model: m,
          body: JSON.stringify(items[i]),
        })),
        // One static answer serves both calls on this path: the SDK reads `data` for a list and a
        // deployment (config, status_details, url) for a create, so it carries both. The list is empty:
        // nginx answers every page alike, and the SDK's pager asks for the next page until one is empty.
        {
          path: COLLECTION_PATH,
          kind: 'collection' as const,
          body: JSON.stringify({ object: 'list', data: [], ...(items[0] ?? deploymentRecord(nmp, 'nim', nimUrl)) }),
        },
      ]
    : [];
  const cm = snapshot.find('configmaps', config.gateway.configMap);
  const conf = cm?.data?.[config.gateway.configKey];
  const read = conf === undefined ? undefined : readGatewayConfig(conf);
  return {
    paths,
    problems,
    gatewayUrl: gatewayBase(config),
    configMap: cm,
    deployment: snapshot.find('deployments', config.gateway.deployment),
    view: read && 'conf' in read ? read : undefined,
  };
}

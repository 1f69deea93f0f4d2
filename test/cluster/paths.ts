import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Where the local control plane keeps its state (gitignored); override with FD_CLUSTER_DIR. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');
export const CLUSTER_DIR = process.env.FD_CLUSTER_DIR ?? path.join(REPO_ROOT, '.cluster');
export const PORTS = {
  etcdClient: Number(process.env.FD_ETCD_PORT ?? 23790),
  etcdPeer: Number(process.env.FD_ETCD_PEER_PORT ?? 23800),
  apiserver: Number(process.env.FD_APISERVER_PORT ?? 16443),
  kwokServer: Number(process.env.FD_KWOK_PORT ?? 20250),
  localKubelet: Number(process.env.FD_LOCAL_KUBELET_PORT ?? 20251),
  gateway: Number(process.env.FD_GATEWAY_PORT ?? 18080),
};
/**
 * Loopback ports for the gateways of test namespaces, relative to this cluster's gateway port, so two
 * clusters (a demo and a test run) never share one: a clash would let a test talk to the other
 * cluster's nginx.
 */
export const testPort = (offset: number) => PORTS.gateway + 100 + offset;
/** The loopback port of a namespace's Entity Store stand-in, tied to its gateway's so clusters never share one. */
export const entityStorePortFor = (gatewayPort: number) => gatewayPort + 1000;
/** The loopback port of a namespace's NIM stand-in (its /v1/models), likewise tied to the gateway's. */
export const nimPortFor = (gatewayPort: number) => gatewayPort - 1000;
/**
 * The loopback ports of the other services behind the gateway (test/cluster/platform-services.ts).
 * Offsets 150 apart: test namespaces' gateway ports span testPort(0..100), so no two ranges meet.
 */
export const platformPortFor = (kind: 'data-store' | 'customizer' | 'evaluator', gatewayPort: number) =>
  gatewayPort + { 'data-store': 1300, customizer: 1450, evaluator: 1600 }[kind];
/** The loopback port of a namespace's flywheel API stand-in (its job API). */
export const flywheelApiPortFor = (gatewayPort: number) => gatewayPort + 1750;
/** The NIM Service of the seeded namespaces (as the NIM Operator names it for the NIMService). */
export const NIM_SERVICE = 'meta-llama3-1b-instruct';

/**
 * What the doctor needs outside the cluster to reach a seeded namespace's Services (no cluster DNS
 * here): the gateway, the Entity Store, the NIM and the flywheel API stand-ins by their loopback addresses.
 */
export function serviceOverrides(gatewayPort: number): Record<string, string> {
  return {
    'nemo-gateway': `http://127.0.0.1:${gatewayPort}`,
    'nemoentitystore-sample': `http://127.0.0.1:${entityStorePortFor(gatewayPort)}`,
    [NIM_SERVICE]: `http://127.0.0.1:${nimPortFor(gatewayPort)}`,
    'df-api-service': `http://127.0.0.1:${flywheelApiPortFor(gatewayPort)}`,
  };
}
/** The same, as FD_SERVICE_URL_OVERRIDES takes it. */
export const serviceOverridesEnv = (gatewayPort: number) =>
  Object.entries(serviceOverrides(gatewayPort))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export const FILES = {
  adminKubeconfig: path.join(CLUSTER_DIR, 'kubeconfig'),
  readonlyKubeconfig: path.join(CLUSTER_DIR, 'kubeconfig-readonly'),
  editorKubeconfig: path.join(CLUSTER_DIR, 'kubeconfig-editor'),
  env: path.join(CLUSTER_DIR, 'env'),
  pki: path.join(CLUSTER_DIR, 'pki'),
  logs: path.join(CLUSTER_DIR, 'logs'),
  auditLog: path.join(CLUSTER_DIR, 'logs', 'audit.log'),
  pids: path.join(CLUSTER_DIR, 'pids'),
  pv: path.join(CLUSTER_DIR, 'pv'),
  sim: path.join(CLUSTER_DIR, 'sim'),
};
/** Static tokens for the test identities (token-file auth; local cluster only). */
export const TOKENS = {
  readonly: { token: 'fd-readonly-token-0123456789', user: 'flywheel-viewer', group: 'flywheel-viewers' },
  editor: { token: 'fd-editor-token-0123456789', user: 'flywheel-editor', group: 'flywheel-editors' },
};
/** The records of a namespace's Entity Store stand-in (written by seed, served by the node agent). */
export const entityStoreDataFile = (ns: string) => path.join(FILES.sim, 'entity-store', `${ns}.json`);
/** The model ids a namespace's NIM stand-in lists at /v1/models (written by seed, read on every request). */
export const nimModelsFile = (ns: string) => path.join(FILES.sim, 'nim', `${ns}.json`);
/** The jobs a namespace's flywheel API stand-in serves (the scenario's fixtures). */
export const flywheelJobsFile = (ns: string) => path.join(FILES.sim, 'flywheel-api', `${ns}.json`);
/** The namespaces a namespace's Data Store stand-in holds. */
export const dataStoreFile = (ns: string) => path.join(FILES.sim, 'data-store', `${ns}.json`);
export const LOCAL_NODE = 'fd-local-node';
export const KWOK_NODE = 'kwok-node-0';

/** Builds the control-plane binaries if needed (cached, keyed by versions) and returns their directory. */
export function binDir(): string {
  const out = execFileSync('bash', [path.join(REPO_ROOT, 'test/cluster/build.sh')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .toString()
    .trim()
    .split('\n');
  return out[out.length - 1]!;
}

/**
 * The registry's order: every check's folder, in the order reports list them. A new check is its
 * folder checks/<id>/ plus one line here; `npm run generate` then writes checks/index.ts, the RBAC
 * and the README's table from the folders (checks/generated.test.ts fails when they are stale).
 */
export const CHECK_ORDER = [
  'evaluator-entity-store-url',
  'evaluator-secrets-delete',
  'evaluator-nim-proxy-url',
  'evaluator-init-image',
  'models-pvc-ownership',
  'customizer-scc',
  'nemo-operator',
  'gateway-upstreams',
  'gateway-models',
  'gateway-deployment-mocks',
  'referenced-secrets',
  'nemo-database-secrets',
  'flywheel-config',
  'nim-model-sync',
  'flywheel-state-persistence',
  'pod-health',
  'volcano-scheduling',
  'gpu-tolerations',
  'nimcache-storage',
] as const;

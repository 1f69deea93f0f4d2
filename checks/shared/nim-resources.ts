import { defineResources, type ResourceType } from '../../lib/k8s/resources';

// The NIM Operator's custom resources the checks read (group apps.nvidia.com, domain.md §1), declared
// once for every check that reads them.
declare module '../../lib/k8s/resources' {
  interface ResourceTypes {
    nemoevaluators: ResourceType;
    nimservices: ResourceType;
    nimcaches: ResourceType;
    nemocustomizers: ResourceType;
  }
}

defineResources({
  nemoevaluators: {
    group: 'apps.nvidia.com',
    version: 'v1alpha1',
    plural: 'nemoevaluators',
    kind: 'NemoEvaluator',
    namespaced: true,
  },
  nimservices: {
    group: 'apps.nvidia.com',
    version: 'v1alpha1',
    plural: 'nimservices',
    kind: 'NIMService',
    namespaced: true,
  },
  nimcaches: { group: 'apps.nvidia.com', version: 'v1alpha1', plural: 'nimcaches', kind: 'NIMCache', namespaced: true },
  nemocustomizers: {
    group: 'apps.nvidia.com',
    version: 'v1alpha1',
    plural: 'nemocustomizers',
    kind: 'NemoCustomizer',
    namespaced: true,
  },
});

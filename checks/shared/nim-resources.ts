import { defineResources, type ResourceType } from '../../lib/k8s/resources';

// The NIM Operator's custom resources the checks read (group apps.nvidia.com, domain.md §1).
declare module '../../lib/k8s/resources' {
  interface ResourceTypes {
    nemoevaluators: ResourceType;
    nimservices: ResourceType;
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
});

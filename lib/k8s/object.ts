/** A minimal object shape shared by every Kubernetes object the engine and checks read. */
export interface KObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{
      apiVersion: string;
      kind: string;
      name: string;
      uid: string;
      controller?: boolean;
      blockOwnerDeletion?: boolean;
    }>;
    creationTimestamp?: string;
    deletionTimestamp?: string;
    /** Who wrote which fields, and when (the only modification times Kubernetes keeps). */
    managedFields?: Array<{ manager?: string; operation?: string; time?: string }>;
  };
  // Object bodies are free-form; checks validate the parts they rely on.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

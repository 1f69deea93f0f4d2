import { createHash } from 'node:crypto';

/** The NIM Operator's render marker: a hash of the CR spec, kept in nvidia.com/parent-spec-hash. */
export const specHash = (spec: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(spec ?? {}))
    .digest('hex')
    .slice(0, 16);

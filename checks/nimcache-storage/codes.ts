import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-CACHE-001': {
    severity: 'skipped',
    title: 'no NIMCache',
    summary: 'No NIMCache here',
    fix: 'Nothing to do.',
  },
  'FD-CACHE-002': {
    severity: 'fail',
    title: 'a NIMCache caching job fails for disk',
    summary: 'NIMCache {cache} is {state}: {cause}{small}',
    fix: 'Grow the PVC when its StorageClass allows expansion (the fix does), else recreate the cache with a bigger size.',
  },
  'FD-CACHE-003': {
    severity: 'warn',
    title: 'a PVC resize is pending',
    summary: 'PVC {pvc} was asked to grow to {size}; the storage driver has not resized it yet',
    fix: 'Wait for the storage driver; oc describe pvc shows its resize conditions.',
  },
  'FD-CACHE-004': {
    severity: 'warn',
    title: "a NIMCache's PVC is under the minimum",
    summary: "NIMCache {cache} is {state} on a {size} PVC, under the {minimum} a NIM's cache needs",
    fix: 'Grow the PVC before the caching job fills it.',
  },
});

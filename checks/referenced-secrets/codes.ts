import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-SEC-001': {
    severity: 'skipped',
    title: 'no Secret references',
    summary: 'Nothing in this namespace refers to a Secret',
    fix: 'Nothing to do.',
  },
  'FD-SEC-002': {
    severity: 'fail',
    title: 'a required Secret or key is missing or empty',
    summary:
      'Pods that need these cannot start (CreateContainerConfigError, ImagePullBackOff, NIMCache never Ready): {problems}',
    fix: 'Create the Secret with the keys named (oc create secret generic …), then restart what needs it.',
  },
  'FD-SEC-003': {
    severity: 'warn',
    title: 'an optional Secret or key is missing or empty',
    summary: '{problems}',
    fix: 'Create the Secret if the feature that reads it is wanted.',
  },
});

import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-EVNIM-001': {
    severity: 'skipped',
    title: 'no evaluator Deployment',
    summary: 'No evaluator Deployment ({deployment}) in {namespace}',
    fix: 'Nothing to do here; set evaluator.deployment if the evaluator has another name.',
  },
  'FD-EVNIM-002': {
    severity: 'skipped',
    title: 'NIM_PROXY_URL not set',
    summary: 'NIM_PROXY_URL is not set on the evaluator: it calls NIMs at the URLs each evaluation names',
    fix: 'Nothing to do: each evaluation names its NIM URL.',
  },
  'FD-EVNIM-003': {
    severity: 'fail',
    title: 'NIM_PROXY_URL does not reach a NIM',
    summary:
      "The evaluator's NIM_PROXY_URL ({value}) does not reach a NIM: {problem}; base evaluations cannot call the model",
    fix: "Use a port the NIM's Service has, through the NemoEvaluator CR's spec.env (the fix does).",
  },
});

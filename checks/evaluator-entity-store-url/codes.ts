import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-EVES-001': {
    severity: 'error',
    title: 'no evaluator Deployment',
    summary:
      'No evaluator Deployment found in namespace {namespace} (looked for {deployment} and nemo-evaluator). If your evaluator has another name, set evaluator.deployment in the configuration.',
    fix: 'Set evaluator.deployment to the name of the evaluator Deployment.',
  },
  'FD-EVES-002': {
    severity: 'error',
    title: 'the evaluator Deployment has no containers',
    summary: 'Deployment {deployment} has no containers',
    fix: 'Repair or re-render the evaluator Deployment (NemoEvaluator CR or helm chart).',
  },
  'FD-EVES-003': {
    severity: 'fail',
    title: 'ENTITY_STORE_URL not set',
    summary: 'ENTITY_STORE_URL is not set on {deployment}; base-model evaluations will get 404 from the Entity Store',
    fix: "Set ENTITY_STORE_URL to the gateway through the NemoEvaluator CR's spec.env (the fix does).",
  },
  'FD-EVES-004': {
    severity: 'warn',
    title: 'ENTITY_STORE_URL cannot be verified',
    summary: 'Cannot verify ENTITY_STORE_URL: {reason}',
    fix: 'Make the value readable (a ConfigMap or Secret the doctor may read) or set it literally.',
  },
  'FD-EVES-005': {
    severity: 'fail',
    title: "the URL's port is not one the Service has",
    summary: "The evaluator's ENTITY_STORE_URL ({value}) cannot connect in the cluster: {problem}",
    fix: 'Use a port the Service exposes (the fix writes the gateway URL).',
  },
  'FD-EVES-006': {
    severity: 'fail',
    title: 'ENTITY_STORE_URL does not name the gateway',
    summary:
      "The evaluator's ENTITY_STORE_URL ({value}) does not reach the gateway: {problem} (judged by name only: {why})",
    fix: "Point ENTITY_STORE_URL at the gateway through the NemoEvaluator CR's spec.env (the fix does).",
  },
  'FD-EVES-007': {
    severity: 'warn',
    title: 'the CR does not carry the gateway URL',
    summary:
      'The Deployment points at the gateway, but the NemoEvaluator CR does not: the next operator re-render (any NeMo redeploy) will reset it',
    fix: "Put ENTITY_STORE_URL in the NemoEvaluator CR's spec.env (the fix does).",
  },
  'FD-EVES-008': {
    severity: 'warn',
    title: 'the rollout carrying the URL is not complete',
    summary: 'ENTITY_STORE_URL is {value}, but the rollout that carries it is not complete ({rollout})',
    fix: 'Wait for the rollout, or see why its pods do not become ready (check pod-health).',
  },
  'FD-EVES-009': {
    severity: 'fail',
    title: 'no valid model record at the URL',
    summary:
      "The evaluator's ENTITY_STORE_URL ({value}) does not answer a valid record for {models}: {problem}; base-model evaluations fail",
    fix: 'Point the URL at the gateway, or fix what the gateway answers (check gateway-models).',
  },
  'FD-EVES-010': {
    severity: 'warn',
    title: 'the CR renders another URL',
    summary:
      '{value} answers for every base model, but the NemoEvaluator CR renders ENTITY_STORE_URL={rendered}: the next operator re-render (any NeMo redeploy) switches to it',
    fix: "Put the working URL in the NemoEvaluator CR's spec.env (the fix does).",
  },
});

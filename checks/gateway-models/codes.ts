import { defineCodes } from '../../lib/engine/codes';

// Model-level findings are reported together after "Base-model evaluations fail: " (or, for
// drift, "Works until the next gateway restart: "), the first one's code leading.
export const codes = defineCodes({
  'FD-GW-001': {
    severity: 'error',
    title: 'the gateway or its models cannot be located',
    summary: '{problems}',
    fix: 'Read the message: grant the doctor the reads it names, or set gateway.* / dataFlywheel.*.',
  },
  'FD-GW-002': {
    severity: 'fail',
    title: 'model not registered',
    summary:
      '{model} is not registered in the Entity Store (the gateway proxies it there and gets 404 while the Entity Store answers)',
    fix: 'Register the base model in the Entity Store (the fix does), or answer it from a gateway mock block.',
  },
  'FD-GW-003': {
    severity: 'skipped',
    title: 'no base models',
    summary:
      'No base models found (df-config nims[].model_name, NIMService status.model.name); add them to dataFlywheel.extraModels to check them',
    fix: 'List the models in df-config or dataFlywheel.extraModels.',
  },
  'FD-GW-004': {
    severity: 'error',
    title: 'the gateway cannot be reached',
    summary:
      'Cannot reach the gateway at {url}: {error}. Running outside the cluster? Set gateway.url or FD_SERVICE_URL_OVERRIDES={service}=http://<reachable address>',
    fix: 'Run in the cluster, or set gateway.url / FD_SERVICE_URL_OVERRIDES to a reachable gateway address.',
  },
  'FD-GW-005': {
    severity: 'fail',
    title: 'the gateway cannot reach the Entity Store',
    summary: 'The gateway cannot reach the Entity Store, so no model lookup through it works ({models}): {part}',
    fix: "Fix nginx's resolver and Entity Store upstream (check gateway-upstreams) or the Entity Store's pods.",
  },
  'FD-GW-006': {
    severity: 'fail',
    title: 'no gateway block answers for a model',
    summary: 'no block answers for {model} (nginx sends it to {winner})',
    fix: "Add a location block for the model to the gateway's ConfigMap and restart it (the fix does).",
  },
  'FD-GW-007': {
    severity: 'fail',
    title: "a model's block is shadowed",
    summary: 'the block for {model} ({block}) is shadowed by {winner}: nginx never serves it',
    fix: 'Move the block before the one that wins, or make it an exact-match location (the fix does).',
  },
  'FD-GW-008': {
    severity: 'fail',
    title: "a model's block answers invalid metadata",
    summary: 'the block for {model} ({block}) answers invalid model metadata: {problems}',
    fix: 'Replace the block with one answering a valid Entity Store record (the fix does).',
  },
  'FD-GW-009': {
    severity: 'fail',
    title: 'the running gateway has not loaded its config',
    summary:
      'the ConfigMap routes {model} correctly, but the running gateway has not loaded it{when}: nginx reads its config only at start',
    fix: 'Restart the gateway (oc rollout restart deploy/nemo-gateway; the fix does).',
  },
  'FD-GW-010': {
    severity: 'fail',
    title: 'invalid answer and unreadable config',
    summary: 'the gateway does not answer valid metadata for {model}, and its config cannot be read ({why})',
    fix: "Grant the doctor get on the gateway's ConfigMap, then re-run for the cause.",
  },
  'FD-GW-011': {
    severity: 'fail',
    title: "the Entity Store's record is not one the evaluator accepts",
    summary: "the Entity Store's record for {model} is not one the evaluator accepts: {problems}",
    fix: 'Correct the record (artifact.files_url nim://<model>, upload_completed) or register it again.',
  },
  'FD-GW-012': {
    severity: 'warn',
    title: 'works until the next gateway restart',
    summary: 'the running gateway answers for {model}, but its ConfigMap would not after a restart ({problems})',
    fix: "Put the running config's block into the ConfigMap (the fix does).",
  },
});

// gateway-models: the nginx blocks the mock generation's fix writes.
import { isModelId } from '../shared/entity-store';
import { applyBlockEdits, exactAnswerBlock, modelPath, type GatewayConfigView } from '../shared/gateway-config';
import type { ModelCase } from './classify';

/** The Entity Store model object a mock answers for one base model. */
export function mockModelJson(model: string): string {
  if (!isModelId(model))
    throw new Error(
      `cannot generate a mock for "${model}": a model id must be <namespace>/<name> with letters, digits, -, _, . only`,
    );
  const [ns, ...rest] = model.split('/');
  return JSON.stringify({
    name: rest.join('/'),
    namespace: ns,
    description: `Base model ${model} (mock Entity Store answer served by nemo-gateway; added by Flywheel Doctor)`,
    spec: { num_parameters: 0, context_size: 8192, num_virtual_tokens: 0, is_chat: true },
    // Complete, so the SDK's strict response validation accepts it too (files_url and status are required there).
    artifact: { files_url: `nim://${model}`, status: 'upload_completed' },
    base_model: model,
    schema_version: '1.0',
    project: '',
    custom_fields: {},
  });
}

const mockComment = (model: string) => `Mock Entity Store answer for base NIM ${model} (added by Flywheel Doctor)`;

/** The exact-match block answering the Entity Store lookup for one base model (it wins over any regex). */
export function mockLocationBlock(model: string, indent = '    '): string {
  return `${indent}${exactAnswerBlock(modelPath(model), mockModelJson(model), mockComment(model), indent)}`;
}

/** Mock-generation cases fixed by editing the config; the others of a failing run need only a restart. */
export const needsEdit = (c: ModelCase) =>
  c.case === 'missing' || c.case === 'shadowed' || c.case === 'invalid' || c.case === 'drift';

/** The ConfigMap text with exactly one winning, valid block per model that needs one. */
export function editedConfig(view: GatewayConfigView, models: string[]): string {
  return applyBlockEdits(
    view,
    models.map((m) => ({
      path: modelPath(m),
      build: (indent) => exactAnswerBlock(modelPath(m), mockModelJson(m), mockComment(m), indent),
    })),
  );
}

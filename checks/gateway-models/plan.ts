// gateway-models: the fix's plan (mock blocks, registrations, restart) and what of it is in effect.
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import type { FixContext, PlanBody, PlannedChange } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { rolloutState } from '../../lib/k8s/wait';
import { judgeAnswer, probeModels } from '../shared/entity-store';
import { lastChanged } from '../shared/gateway';
import { configTextPatch } from '../shared/gateway-config';
import { classifyAll } from './classify';
import { registrationBodyText } from './manual';
import { editedConfig, needsEdit } from './mocks';
import type { Config, GatewayProbe, GatewaySubject } from './subject';

export interface GatewayPlanData {
  ops: JsonPatchOp[];
  /** Models whose answers the apply waits for after a restart. */
  models: string[];
  restart: boolean;
  /** Proxy generation: base models to register in the Entity Store through the gateway. */
  register: string[];
}

export function planGatewayFix(
  subject: GatewaySubject,
  probe: GatewayProbe,
  config: Config,
): PlanBody<GatewayPlanData> {
  const cases = classifyAll(subject, probe);
  const cm = subject.configMap!;
  const dep = subject.deployment!;
  const { guard, test } = guardFor('ConfigMap', cm);
  const failing = cases.filter((c) => c.case !== 'ok');
  if (!failing.length) {
    return {
      noop: true,
      summary:
        subject.generation === 'proxy'
          ? 'Every base model is registered in the Entity Store'
          : 'Every base model already has a valid mock',
      changes: [],
      risks: [],
      guards: [guard],
      data: { ops: [], models: [], restart: false, register: [] },
    };
  }
  const edit = cases.filter(needsEdit).map((c) => c.model);
  const register = cases.filter((c) => c.case === 'unregistered').map((c) => c.model);
  const conf = subject.view!.conf;
  const next = edit.length ? editedConfig(subject.view!, edit) : conf;
  const ops: JsonPatchOp[] = edit.length ? configTextPatch(test, config.gateway.configKey, conf, next) : [];
  const restart = failing.some((c) => (needsEdit(c) ? c.case !== 'drift' : c.case === 'not-loaded'));
  const changes: PlannedChange[] = [];
  if (edit.length) {
    changes.push({
      target: targetOf('ConfigMap', cm),
      action: 'patch',
      description: `${config.gateway.configKey}: one exact-match block for ${edit.join(', ')}`,
      before: conf,
      after: next,
      patch: ops,
    });
  }
  for (const model of register)
    changes.push({
      target: `Entity Store model ${model} (through ${subject.gatewayUrl})`,
      action: 'create',
      description: `POST /v1/models (its namespace first with POST /v1/namespaces); 409 means already registered`,
      manifest: JSON.parse(registrationBodyText(model, subject)),
    });
  if (restart)
    changes.push({
      target: targetOf('Deployment', dep),
      action: 'restart',
      description: 'rollout restart so nginx loads the config',
    });
  const what = [
    edit.length ? `Give ${edit.join(', ')} an exact-match mock in ConfigMap ${config.gateway.configMap}` : '',
    register.length ? `Register ${register.join(', ')} in the Entity Store` : '',
    restart ? `restart ${config.gateway.deployment}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const risks: string[] = [];
  if (restart)
    risks.push(
      `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
    );
  if (register.length)
    risks.push(
      'Creates Entity Store records that stay until deleted (DELETE /v1/models/<namespace>/<name>); the Customizer and the flywheel see them as base models.',
    );
  return {
    noop: false,
    summary:
      edit.length || register.length
        ? what
        : `Only restart ${config.gateway.deployment}: the ConfigMap is already right (${failing.map((c) => c.model).join(', ')} not loaded)`,
    changes,
    risks,
    guards: [guard, guardFor('Deployment', dep).guard],
    data: { ops, models: failing.map((c) => c.model), restart, register },
  };
}

export async function readBackGatewayFix(
  { subject, reader, config, signal }: FixContext<Config, GatewaySubject, GatewayProbe>,
  plan: PlanBody<GatewayPlanData>,
): Promise<Array<{ step: string; done: boolean }>> {
  const state: Array<{ step: string; done: boolean }> = [];
  const replace = plan.data.ops.find((o) => o.op === 'replace');
  const next = replace && 'value' in replace ? replace.value : undefined;
  let changedAt: string | undefined;
  if (next !== undefined) {
    const cm = await reader.get<KObject>(RESOURCES.configmaps, config.namespace, config.gateway.configMap, {
      signal,
    });
    state.push({
      step: `ConfigMap ${config.gateway.configMap} holds the new blocks`,
      done: cm.data?.[config.gateway.configKey] === next,
    });
    changedAt = lastChanged(cm);
  }
  if (plan.data.register.length) {
    const answers = await probeModels(subject.gatewayUrl, plan.data.register, signal);
    for (const a of answers)
      state.push({ step: `${a.model} registered in the Entity Store`, done: judgeAnswer(a).length === 0 });
  }
  if (plan.data.restart) {
    const d = await reader.get<KObject>(RESOURCES.deployments, config.namespace, config.gateway.deployment, {
      signal,
    });
    const restartedAt: string | undefined =
      d.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt'];
    const after = !!restartedAt && (!changedAt || restartedAt >= changedAt);
    state.push({
      step: `${config.gateway.deployment} restarted after the change and rolled out`,
      done: after && rolloutState(d).done,
    });
  }
  return state;
}

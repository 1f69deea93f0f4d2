// gateway-deployment-mocks: what the gateway answers on them, and the verdict.
import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import { type Evidence, type Finding } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import { matchLocation } from '../../lib/nginx';
import { type ModelAnswer } from '../shared/entity-store';
import { answerFor, describeLocation, type GatewayConfigView } from '../shared/gateway-config';
import { Config, DeploymentPath, DeploymentSubject } from './subject';

export type DeploymentProbe = { answers: Array<ModelAnswer & { path: string }> };

/** Problems of one answer: the item must say `status_details.status: ready`, the collection any 2xx JSON. */
export function answerProblem(p: DeploymentPath, a: Omit<ModelAnswer, 'model'>): string | undefined {
  if (a.networkError) return a.networkError;
  if (!a.status || a.status < 200 || a.status > 299) return `HTTP ${a.status}`;
  if (!/json/i.test(a.contentType ?? '')) return `content type ${a.contentType || 'missing'}, not JSON`;
  let body: { status_details?: { status?: string } };
  try {
    body = JSON.parse(a.body ?? '');
  } catch {
    return 'the body is not JSON';
  }
  if (p.kind === 'item' && body?.status_details?.status !== 'ready')
    return `status_details.status is ${JSON.stringify(body?.status_details?.status)}, not "ready"`;
  return undefined;
}

/** Whether the ConfigMap already answers a path correctly (then only a restart is missing). */
export function configuredRight(view: GatewayConfigView | undefined, p: DeploymentPath): boolean {
  const answer = view && answerFor(view, p.path);
  if (!answer) return false;
  // A regex answer using captures ($1, $2) is filled in per request: judge its shape.
  return !answerProblem(p, { url: '', ...answer, body: answer.body.replace(/\$\d/g, 'x') });
}

export function judgeDeployments(subject: DeploymentSubject, probe: DeploymentProbe, config: Config): Finding {
  if (subject.problems.length)
    return coded(codes, 'FD-GWDM-001', { problems: subject.problems.join('; ') }, { evidence: [] });
  if (!subject.paths.some((p) => p.kind === 'item'))
    return coded(codes, 'FD-GWDM-002', { configMap: config.dataFlywheel.configMap }, { evidence: [] });
  if (probe.answers.every((a) => a.networkError))
    return coded(
      codes,
      'FD-GWDM-003',
      { url: subject.gatewayUrl, error: String(probe.answers[0]?.networkError), service: config.gateway.service },
      { evidence: [] },
    );
  const evidence: Evidence[] = [];
  const failing: string[] = [];
  for (const p of subject.paths) {
    const a = probe.answers.find((x) => x.path === p.path)!;
    const problem = answerProblem(p, a);
    const winner = subject.view
      ? describeLocation(subject.view, matchLocation(subject.view.locations, p.path))
      : 'config unreadable';
    evidence.push({
      label: `GET ${p.path}`,
      value: `${a.networkError ?? `HTTP ${a.status} ${a.contentType ?? ''}`}${problem ? `\nproblem: ${problem}` : ''}\nnginx picks: ${winner}${a.body ? `\nbody: ${a.body.slice(0, 300)}` : ''}`,
      tone: problem ? 'bad' : 'good',
      code: true,
    });
    if (problem)
      failing.push(
        `${p.kind === 'item' ? `the deployment status of ${p.model}` : 'the deployment request'} (${p.path}): ${problem}${configuredRight(subject.view, p) ? ', though the ConfigMap answers it: the gateway has not loaded it' : ''}`,
      );
  }
  if (failing.length) return coded(codes, 'FD-GWDM-004', { failing: failing.join('; ') }, { evidence });
  return {
    status: 'pass',
    summary: "The gateway answers the flywheel's deployment status and deployment requests",
    evidence,
  };
}

export interface DeploymentPlanData {
  ops: JsonPatchOp[];
  restart: boolean;
  paths: DeploymentPath[];
}

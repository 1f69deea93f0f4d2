import { parse as parseYaml } from 'yaml';
import type { ConfigOf } from '../../lib/config';
import { guardFor, targetOf } from '../../lib/engine/plan-helpers';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding, type PlannedChange } from '../../lib/engine/types';
import type { JsonPatchOp } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { matchLocation } from '../../lib/nginx';
import { DataFlywheelSection, fetchAnswer, type ModelAnswer } from '../shared/entity-store';
import { gatewayBase, gatewayEditSteps, GatewaySection } from '../shared/gateway';
import {
  answerFor,
  applyBlockEdits,
  describeLocation,
  exactAnswerBlock,
  readGatewayConfig,
  type GatewayConfigView,
  configTextPatch,
} from '../shared/gateway-config';

const sections = { gateway: GatewaySection, dataFlywheel: DataFlywheelSection };
type Config = ConfigOf<typeof sections>;

export const COLLECTION_PATH = '/v1/deployment/model-deployments';
/** The flywheel's "is this NIM deployed?" lookup: its namespace, and the model with "/" as "-". */
export const itemPath = (nmpNamespace: string, model: string) =>
  `${COLLECTION_PATH}/${nmpNamespace}/${model.replace(/\//g, '-')}`;

/** One path the flywheel calls, and what the answer must be. */
export interface DeploymentPath {
  path: string;
  kind: 'item' | 'collection';
  model?: string;
  body: string;
}

export interface DeploymentSubject {
  paths: DeploymentPath[];
  problems: string[];
  gatewayUrl: string;
  configMap?: KObject;
  deployment?: KObject;
  view?: GatewayConfigView;
}

/**
 * A model deployment as the deployment-management API returns it, with every field the SDK's
 * `ModelDeployment` requires (config, status_details, url), so strict clients accept it too.
 */
export function deploymentRecord(nmpNamespace: string, model: string, nimUrl: string) {
  return {
    name: model.replace(/\//g, '-'),
    namespace: nmpNamespace,
    config: `${nmpNamespace}/${model.replace(/\//g, '-')}`,
    url: nimUrl,
    models: [model],
    deployed: true,
    status_details: { status: 'ready', description: 'NIM deployed by the NIM Operator (answered by nemo-gateway)' },
  };
}

export function locateDeploymentSubject(snapshot: Snapshot, config: Config): DeploymentSubject {
  const { configMap: dfName, configKey } = config.dataFlywheel;
  const problems: string[] = [];
  let nmp: string | undefined;
  let nimUrl = '';
  let models: string[] = [];
  const raw = snapshot.find('configmaps', dfName)?.data?.[configKey];
  if (raw === undefined)
    problems.push(`ConfigMap ${dfName} key ${configKey} not found: the flywheel's NIMs are not known`);
  else {
    try {
      const doc = parseYaml(raw) as {
        nmp_config?: { nmp_namespace?: string; nim_base_url?: string };
        nims?: Array<{ model_name?: string }>;
      };
      nmp = doc?.nmp_config?.nmp_namespace;
      nimUrl = typeof doc?.nmp_config?.nim_base_url === 'string' ? doc.nmp_config.nim_base_url : '';
      models = (doc?.nims ?? []).map((n) => n.model_name).filter((m): m is string => typeof m === 'string' && !!m);
      if (!nmp) problems.push(`${dfName} has no nmp_config.nmp_namespace`);
    } catch (e) {
      problems.push(`${dfName} ${configKey} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const items = nmp ? models.map((m) => deploymentRecord(nmp!, m, nimUrl)) : [];
  const paths: DeploymentPath[] = nmp
    ? [
        ...models.map((m, i) => ({
          path: itemPath(nmp!, m),
          kind: 'item' as const,
          model: m,
          body: JSON.stringify(items[i]),
        })),
        // One static answer serves both calls on this path: the SDK reads `data` for a list and a
        // deployment (config, status_details, url) for a create, so it carries both. The list is empty:
        // nginx answers every page alike, and the SDK's pager asks for the next page until one is empty.
        {
          path: COLLECTION_PATH,
          kind: 'collection' as const,
          body: JSON.stringify({ object: 'list', data: [], ...(items[0] ?? deploymentRecord(nmp, 'nim', nimUrl)) }),
        },
      ]
    : [];
  const cm = snapshot.find('configmaps', config.gateway.configMap);
  const conf = cm?.data?.[config.gateway.configKey];
  const read = conf === undefined ? undefined : readGatewayConfig(conf);
  return {
    paths,
    problems,
    gatewayUrl: gatewayBase(config),
    configMap: cm,
    deployment: snapshot.find('deployments', config.gateway.deployment),
    view: read && 'conf' in read ? read : undefined,
  };
}

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
function configuredRight(view: GatewayConfigView | undefined, p: DeploymentPath): boolean {
  const answer = view && answerFor(view, p.path);
  if (!answer) return false;
  // A regex answer using captures ($1, $2) is filled in per request: judge its shape.
  return !answerProblem(p, { url: '', ...answer, body: answer.body.replace(/\$\d/g, 'x') });
}

export function judgeDeployments(subject: DeploymentSubject, probe: DeploymentProbe, config: Config): Finding {
  if (subject.problems.length) return { status: 'error', summary: subject.problems.join('; '), evidence: [] };
  if (!subject.paths.some((p) => p.kind === 'item'))
    return { status: 'skipped', summary: `${config.dataFlywheel.configMap} lists no NIMs`, evidence: [] };
  if (probe.answers.every((a) => a.networkError))
    return {
      status: 'error',
      summary: `Cannot reach the gateway at ${subject.gatewayUrl}: ${probe.answers[0]?.networkError}. Outside the cluster set FD_SERVICE_URL_OVERRIDES=${config.gateway.service}=http://<reachable address>`,
      evidence: [],
    };
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
  if (failing.length)
    return {
      status: 'fail',
      summary: `Every NIM fails at spin-up: the flywheel gets no deployment-management answer for ${failing.join('; ')}`,
      evidence,
    };
  return {
    status: 'pass',
    summary: "The gateway answers the flywheel's deployment status and deployment requests",
    evidence,
  };
}

interface DeploymentPlanData {
  ops: JsonPatchOp[];
  restart: boolean;
  paths: DeploymentPath[];
}

export default defineCheck<typeof sections, DeploymentSubject, DeploymentProbe, DeploymentPlanData>({
  id: 'gateway-deployment-mocks',
  title: 'Gateway answers the deployment-management calls for pre-deployed NIMs',
  area: 'Gateway',
  config: sections,
  needs: ['configmaps', 'deployments'],
  explain: {
    jobSignatures: [
      {
        pattern: /Deployment did not complete within \d+ seconds|404\b[^\n]*\/v1\/deployment\/model-deployments/,
        cause: 'the gateway gave no deployment-management answer for the NIM',
      },
    ],
    symptom: "Every NIM fails at spin-up; the job's nims[].error holds a 404 from /v1/deployment/model-deployments.",
    rootCause:
      'The flywheel asks the NeMo deployment-management API whether each NIM is deployed, and deploys it if not. With NIMs pre-deployed by the NIM Operator there is no such service: the gateway must answer both calls (the status as "ready", the deployment request with success). The port\'s current chart has no /v1/deployment route at all.',
    manualFix: (c) => [
      `oc edit configmap ${c.gateway.configMap} -n ${c.namespace}   # add inside the server block: location = ${COLLECTION_PATH} { default_type application/json; return 200 '{"object":"list","data":[],"config":"nim-operator","url":"","status_details":{"status":"ready"}}'; } and location ~ ^${COLLECTION_PATH}/([^/]+)/([^/]+)$ { default_type application/json; return 200 '{"name":"$2","namespace":"$1","config":"$1/$2","url":"","status_details":{"status":"ready"}}'; }`,
      `oc rollout restart deployment/${c.gateway.deployment} -n ${c.namespace}`,
    ],
  },
  locate: locateDeploymentSubject,
  async probe({ subject, signal }) {
    return {
      answers: await Promise.all(
        subject.paths.map(async (p) => ({
          model: p.model ?? '',
          path: p.path,
          ...(await fetchAnswer(subject.gatewayUrl, p.path, signal)),
        })),
      ),
    };
  },
  judge: ({ subject, probe, config }) => judgeDeployments(subject, probe, config),
  fix: {
    description:
      'Add an exact-match location answering each missing call (the NIM\'s status as "ready", the deployment request with success) to the gateway ConfigMap, then restart the gateway; exact matches win over every regex and prefix.',
    touches: ['gateway-config'],
    available({ subject, config }) {
      if (!subject.configMap) return { reason: `ConfigMap ${config.gateway.configMap} does not exist` };
      if (!subject.deployment) return { reason: `Deployment ${config.gateway.deployment} does not exist` };
      if (!subject.view) return { reason: 'the gateway config cannot be parsed' };
      if (!subject.view.server) return { reason: 'nginx.conf has no server block to add a location to' };
      return true;
    },
    permissions: (c) => [
      { verb: 'patch', group: '', resource: 'configmaps', namespace: c.namespace, name: c.gateway.configMap },
      { verb: 'patch', group: 'apps', resource: 'deployments', namespace: c.namespace, name: c.gateway.deployment },
    ],
    plan({ subject, probe, config }) {
      const cm = subject.configMap!;
      const { guard, test } = guardFor('ConfigMap', cm);
      const failing = subject.paths.filter((p) =>
        answerProblem(
          p,
          probe.answers.find((a) => a.path === p.path)!,
        ),
      );
      if (!failing.length)
        return {
          noop: true,
          summary: 'The gateway answers every call',
          changes: [],
          risks: [],
          guards: [guard],
          data: { ops: [], restart: false, paths: [] },
        };
      const edit = failing.filter((p) => !configuredRight(subject.view, p));
      const conf = subject.view!.conf;
      const next = edit.length
        ? applyBlockEdits(
            subject.view!,
            edit.map((p) => ({
              path: p.path,
              build: (indent) =>
                exactAnswerBlock(
                  p.path,
                  p.body,
                  `Deployment-management answer for pre-deployed NIMs (added by Flywheel Doctor)`,
                  indent,
                ),
            })),
          )
        : conf;
      const ops: JsonPatchOp[] = edit.length ? configTextPatch(test, config.gateway.configKey, conf, next) : [];
      const changes: PlannedChange[] = [];
      if (edit.length)
        changes.push({
          target: targetOf('ConfigMap', cm),
          action: 'patch',
          description: `${config.gateway.configKey}: exact-match answers for ${edit.map((p) => p.path).join(', ')}`,
          before: conf,
          after: next,
          patch: ops,
        });
      changes.push({
        target: targetOf('Deployment', subject.deployment!),
        action: 'restart',
        description: 'rollout restart so nginx loads the config',
      });
      return {
        noop: false,
        summary: edit.length
          ? `Answer ${edit.length} deployment-management call${edit.length > 1 ? 's' : ''} in ConfigMap ${config.gateway.configMap} and restart ${config.gateway.deployment}`
          : `Only restart ${config.gateway.deployment}: the ConfigMap already answers`,
        changes,
        risks: [
          `Restarts the gateway (${config.gateway.deployment}); requests in flight through it may fail during the rollout.`,
        ],
        guards: [guard, guardFor('Deployment', subject.deployment!).guard],
        data: { ops, restart: true, paths: failing },
      };
    },
    steps({ subject, config }, plan) {
      return gatewayEditSteps(config, plan.data.ops, 'deployment mocks', async (signal) => {
        const answers = await Promise.all(plan.data.paths.map((p) => fetchAnswer(subject.gatewayUrl, p.path, signal)));
        return plan.data.paths.every((p, i) => !answerProblem(p, answers[i]!));
      });
    },
  },
});

import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import { parseYamlOnce as parseYaml } from '../shared/yaml';
import type { ConfigOf } from '../../lib/config';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import { httpGet } from '../../lib/http';
import { DataFlywheelSection, EntityStoreSection, reachableUrl } from '../shared/entity-store';
import { servicePortProblem } from '../shared/service-url';

/**
 * After a NIM is deployed the flywheel polls `GET <nim_base_url>/v1/models` every 30 s until a
 * `data[].id` equals each configured model, for up to an hour ("Model … did not sync within 3600
 * second"). Asking once turns that hour into a second.
 */
const sections = { dataFlywheel: DataFlywheelSection, entityStore: EntityStoreSection };
type Config = ConfigOf<typeof sections>;

interface SyncSubject {
  nimBaseUrl?: string;
  /** What the URL gets from the Service it names in the cluster (its port), whatever an override answers. */
  portProblem?: string;
  models: string[];
  /** Why there is nothing to ask (no df-config, no nim_base_url, no NIMs). */
  nothing?: string;
}

export interface SyncProbe {
  target?: { base: string; via: string };
  unprobeable?: string;
  status?: number;
  ids?: string[];
  problem?: string;
}

export function locateSync(text: string | undefined, config: Config): SyncSubject {
  const { configMap, configKey } = config.dataFlywheel;
  if (text === undefined) return { models: [], nothing: `ConfigMap ${configMap} key ${configKey} not found` };
  let doc: { nmp_config?: { nim_base_url?: unknown }; nims?: Array<{ model_name?: unknown }> } | undefined;
  try {
    doc = parseYaml(text) as typeof doc;
  } catch {
    return { models: [], nothing: `${configMap} is not valid YAML (see check flywheel-config)` };
  }
  const url = doc?.nmp_config?.nim_base_url;
  const models = (Array.isArray(doc?.nims) ? doc.nims : [])
    .map((n) => n?.model_name)
    .filter((m): m is string => typeof m === 'string' && !!m);
  if (typeof url !== 'string' || !url) return { models, nothing: `${configMap} has no nmp_config.nim_base_url` };
  if (!models.length) return { nimBaseUrl: url, models, nothing: `${configMap} lists no NIMs` };
  return { nimBaseUrl: url, models };
}

export async function probeSync(subject: SyncSubject, config: Config, signal?: AbortSignal): Promise<SyncProbe> {
  if (subject.nothing || !subject.nimBaseUrl) return {};
  const target = reachableUrl(subject.nimBaseUrl, config, !!process.env.KUBERNETES_SERVICE_HOST);
  if (target.base === undefined) return { unprobeable: target.reason };
  try {
    const res = await httpGet(`${target.base}/v1/models`, { timeoutMs: 5000, signal, maxBytes: 256 * 1024 });
    if (res.status !== 200)
      return { target, status: res.status, problem: `HTTP ${res.status}: ${res.body.slice(0, 200)}` };
    const body = JSON.parse(res.body) as { data?: Array<{ id?: unknown }> };
    if (!Array.isArray(body?.data)) return { target, status: 200, problem: 'the answer has no data[] list of models' };
    return { target, status: 200, ids: body.data.map((m) => m?.id).filter((i): i is string => typeof i === 'string') };
  } catch (e) {
    if (signal?.aborted) throw e;
    const err = e as Error & { code?: string };
    return { target, problem: err instanceof SyntaxError ? 'the answer is not JSON' : (err.code ?? err.message) };
  }
}

export function judgeSync(subject: SyncSubject, probe: SyncProbe, config: Config): Finding {
  const evidence: Evidence[] = [];
  if (subject.nothing) return coded(codes, 'FD-SYNC-001', { reason: subject.nothing }, { evidence });
  evidence.push({ label: 'nim_base_url', value: subject.nimBaseUrl! });
  if (subject.portProblem)
    return coded(codes, 'FD-SYNC-002', { url: subject.nimBaseUrl!, problem: subject.portProblem }, { evidence });
  if (probe.unprobeable) return coded(codes, 'FD-SYNC-003', { reason: probe.unprobeable }, { evidence });
  evidence.push({ label: 'Asked at', value: `${probe.target!.base}/v1/models (${probe.target!.via})` });
  if (probe.problem) {
    evidence.push({ label: 'GET /v1/models', value: probe.problem, tone: 'bad' });
    return coded(codes, 'FD-SYNC-004', { url: subject.nimBaseUrl!, problem: probe.problem }, { evidence });
  }
  const ids = probe.ids ?? [];
  const missing = subject.models.filter((m) => !ids.includes(m));
  evidence.push({ label: 'Listed ids', value: ids.join(', ') || '(none)', tone: missing.length ? 'bad' : 'good' });
  evidence.push({ label: `${config.dataFlywheel.configMap} nims[].model_name`, value: subject.models.join(', ') });
  if (missing.length)
    return coded(
      codes,
      'FD-SYNC-005',
      {
        models: `${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'}`,
        url: subject.nimBaseUrl!,
        listed: ids.join(', ') || 'nothing',
        first: missing[0]!,
      },
      { evidence },
    );
  return {
    status: 'pass',
    summary: `The NIM proxy lists every configured NIM (${subject.models.join(', ')})`,
    evidence,
  };
}

export default defineCheck<typeof sections, SyncSubject, SyncProbe>({
  id: 'nim-model-sync',
  title: 'The NIM proxy lists every NIM the flywheel uses',
  area: 'Data Flywheel',
  config: sections,
  codes,
  needs: ['configmaps', 'services'],
  explain: {
    jobSignatures: [{ pattern: /Model (\S+) did not sync within \d+ second/, cause: 'the NIM proxy never listed $1' }],
    symptom:
      'A flywheel job stays at NIM spin-up for an hour, then fails with "Model <model> did not sync within 3600 second".',
    rootCause:
      'After deploying a NIM, the flywheel waits until the model id appears in GET <nim_base_url>/v1/models. A nim_base_url naming another NIM, a NIM still loading, or a model served under another id keeps it waiting until the timeout.',
    manualFix: (c) => [
      `oc get configmap ${c.dataFlywheel.configMap} -n ${c.namespace} -o jsonpath='{.data.config\\.yaml}' | grep nim_base_url`,
      `oc run nim-models --rm -i --restart=Never --image=curlimages/curl -n ${c.namespace} -- curl -s <nim_base_url>/v1/models   # the ids listed must include every nims[].model_name`,
      `oc edit configmap ${c.dataFlywheel.configMap} -n ${c.namespace}   # point nim_base_url at the NIM (or NIM proxy) that serves the models, or correct model_name to the id it lists`,
    ],
  },
  locate: (snapshot, config) => {
    const subject = locateSync(
      snapshot.find('configmaps', config.dataFlywheel.configMap)?.data?.[config.dataFlywheel.configKey],
      config,
    );
    const portProblem = subject.nimBaseUrl
      ? servicePortProblem(subject.nimBaseUrl, snapshot, config.namespace)
      : undefined;
    return portProblem ? { ...subject, portProblem } : subject;
  },
  probe: ({ subject, config, signal }) => probeSync(subject, config, signal),
  judge: ({ subject, probe, config }) => judgeSync(subject, probe, config),
});

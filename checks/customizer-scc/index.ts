import type { ConfigOf } from '../../lib/config';
import { coded } from '../../lib/engine/codes';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import { canUser, type KubeClient } from '../../lib/k8s/client';
import { errorMessage, KubeApiError } from '../../lib/k8s/errors';
import type { KObject } from '../../lib/k8s/object';
import '../shared/openshift-resources';
import { RESOURCES } from '../../lib/k8s/resources';
import { customizerDeployed, CustomizerSection } from '../shared/customizer';
import { codes } from './codes';

const sections = { customizer: CustomizerSection };
type Config = ConfigOf<typeof sections>;

/** The service accounts whose pods the SCC must admit: the Customizer's and `default` (entity handler). */
export const sccAccounts = (config: Config) => [...new Set([config.customizer.serviceAccount, 'default'])];

/**
 * Whether the SecurityContextConstraints API is served: true, false (a 404 for the group: not
 * OpenShift), or why it could not be told (a 403 or a timeout is not "not OpenShift").
 */
export async function isOpenShift(client: Pick<KubeClient, 'request'>): Promise<boolean | string> {
  try {
    await client.request('GET', '/apis/security.openshift.io/v1');
    return true;
  } catch (e) {
    if (e instanceof KubeApiError && e.isNotFound) return false;
    return `cannot tell whether this is OpenShift (GET /apis/security.openshift.io/v1: ${errorMessage(e)})`;
  }
}

export interface SccProbe {
  /** The SCC object; undefined when this is not OpenShift or it was never created. */
  scc?: KObject;
  notOpenShift?: boolean;
  reviews?: Array<{ serviceAccount: string; allowed: boolean }>;
  error?: string;
}

/** The SCC and whether each service account may use it, asked at once (never throws). */
export async function askScc(client: KubeClient, config: Config, signal: AbortSignal): Promise<SccProbe> {
  const { scc } = config.customizer;
  const ns = config.namespace;
  const review = async (sa: string) => ({
    serviceAccount: sa,
    allowed: (
      await canUser(
        client,
        `system:serviceaccount:${ns}:${sa}`,
        ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
        {
          verb: 'use',
          group: 'security.openshift.io',
          resource: 'securitycontextconstraints',
          name: scc,
          namespace: ns,
        },
      )
    ).allowed,
  });
  const [obj, reviews] = await Promise.allSettled([
    client.get<KObject>(RESOURCES.securitycontextconstraints, undefined, scc, { signal }),
    Promise.all(sccAccounts(config).map(review)),
  ]);
  if (obj.status === 'rejected') {
    const e = obj.reason;
    if (!(e instanceof KubeApiError && e.isNotFound)) return { error: errorMessage(e) };
    // 404 for the object, or for the whole API group (not OpenShift): ask which.
    const openShift = await isOpenShift(client);
    if (typeof openShift === 'string') return { error: openShift };
    return openShift ? {} : { notOpenShift: true };
  }
  if (reviews.status === 'rejected') return { error: errorMessage(reviews.reason) };
  return { scc: obj.value, reviews: reviews.value };
}

export function judgeScc(customizer: boolean, probe: SccProbe, config: Config): Finding {
  const { scc } = config.customizer;
  const evidence: Evidence[] = [];
  if (!customizer) return coded(codes, 'FD-SCC-001', { deployment: config.customizer.deployment }, { evidence });
  if (probe.error) return coded(codes, 'FD-SCC-002', { scc, error: probe.error }, { evidence });
  if (probe.notOpenShift) return coded(codes, 'FD-SCC-003', {}, { evidence });
  if (!probe.scc) return coded(codes, 'FD-SCC-004', { scc }, { evidence });
  evidence.push({ label: `SCC ${scc}`, value: 'exists', tone: 'good' });
  for (const r of probe.reviews ?? [])
    evidence.push({
      label: `SubjectAccessReview: use ${scc} as ${r.serviceAccount}`,
      value: r.allowed ? 'allowed' : 'denied',
      tone: r.allowed ? 'good' : 'bad',
    });
  const denied = (probe.reviews ?? []).filter((r) => !r.allowed).map((r) => r.serviceAccount);
  if (denied.length)
    return coded(
      codes,
      'FD-SCC-005',
      { accounts: `Service account${denied.length > 1 ? 's' : ''} ${denied.join(', ')}`, scc },
      {
        evidence,
        manualFix: denied.map((sa) => `oc adm policy add-scc-to-user ${scc} -z ${sa} -n ${config.namespace}`),
      },
    );
  return {
    status: 'pass',
    summary: `${sccAccounts(config).join(' and ')} may use SCC ${scc}`,
    evidence,
  };
}

export default defineCheck<typeof sections, boolean, SccProbe>({
  id: 'customizer-scc',
  title: 'Training pods may use the Customizer SCC',
  area: 'NeMo Customizer',
  config: sections,
  codes,
  needs: ['deployments'],
  explain: {
    jobSignatures: [
      {
        pattern: /unable to validate against any security context constraint/,
        cause: "the Customizer's pods were refused by SCC admission",
      },
    ],
    symptom:
      'Customization jobs never get pods: "unable to validate against any security context constraint" in the job or ReplicaSet events.',
    rootCause:
      "On OpenShift the training and entity-handler pods need the privileged nemo-customizer-scc. Admission allows it only for service accounts granted `use` on it (the Customizer's and `default`), which the port does by hand.",
    manualFix: (c) => [
      ...sccAccounts(c).map((sa) => `oc adm policy add-scc-to-user ${c.customizer.scc} -z ${sa} -n ${c.namespace}`),
      `oc get scc ${c.customizer.scc}`,
    ],
  },
  probePermissions: (c) => [
    { verb: 'get', group: 'security.openshift.io', resource: 'securitycontextconstraints', name: c.customizer.scc },
    { verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' },
  ],
  locate: (snapshot, config) => customizerDeployed(snapshot, config),
  // The SCC and the service accounts are named by the configuration: asked with the run's lists.
  prefetch: ({ client, config, signal }) => askScc(client, config, signal),
  async probe({ subject: customizer, client, config, signal, prefetched }) {
    if (!customizer) return {};
    return ((await prefetched) as SccProbe | undefined) ?? askScc(client, config, signal);
  },
  judge: ({ subject, probe, config }) => judgeScc(subject, probe, config),
});

import { coded } from '../../lib/engine/codes';
import { codes } from './codes';
import '../shared/nim-resources';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KObject } from '../../lib/k8s/object';

/** One place that needs a Secret (and maybe one key of it) to exist. */
export interface SecretRef {
  secret: string;
  key?: string;
  /** Who refers to it, e.g. "Deployment df-api-deployment, container df-api, env NVIDIA_API_KEY". */
  from: string;
  /** Optional references (`optional: true`) never block a pod: reported, never failed. */
  optional: boolean;
}

interface PodSpec {
  imagePullSecrets?: Array<{ name: string }>;
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  volumes?: Array<{
    name: string;
    secret?: { secretName: string; optional?: boolean; items?: Array<{ key: string }> };
  }>;
}
interface ContainerSpec {
  name: string;
  env?: Array<{ name: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  envFrom?: Array<{ secretRef?: { name: string; optional?: boolean } }>;
}

const PULL_KEY = '.dockerconfigjson';

function podSpecRefs(spec: PodSpec, owner: string): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const p of spec.imagePullSecrets ?? [])
    refs.push({ secret: p.name, key: PULL_KEY, from: `${owner} imagePullSecrets`, optional: false });
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const e of c.env ?? []) {
      const r = e.valueFrom?.secretKeyRef;
      if (r)
        refs.push({
          secret: r.name,
          key: r.key,
          from: `${owner}, container ${c.name}, env ${e.name}`,
          optional: !!r.optional,
        });
    }
    for (const f of c.envFrom ?? [])
      if (f.secretRef)
        refs.push({
          secret: f.secretRef.name,
          from: `${owner}, container ${c.name}, envFrom`,
          optional: !!f.secretRef.optional,
        });
  }
  for (const v of spec.volumes ?? []) {
    if (!v.secret) continue;
    const keys = v.secret.items?.map((i) => i.key) ?? [undefined];
    for (const key of keys)
      refs.push({
        secret: v.secret.secretName,
        key,
        from: `${owner}, volume ${v.name}`,
        optional: !!v.secret.optional,
      });
  }
  return refs;
}

/** Secrets NIM Operator resources name: NGC credentials (authSecret) and image pull secrets. */
function crRefs(kind: string, cr: KObject): SecretRef[] {
  const owner = `${kind} ${cr.metadata?.name}`;
  const refs: SecretRef[] = [];
  if (typeof cr.spec?.authSecret === 'string')
    refs.push({ secret: cr.spec.authSecret, key: 'NGC_API_KEY', from: `${owner} spec.authSecret`, optional: false });
  for (const p of (cr.spec?.image?.pullSecrets ?? cr.spec?.pullSecrets ?? []) as Array<string | { name: string }>)
    refs.push({
      secret: typeof p === 'string' ? p : p.name,
      key: PULL_KEY,
      from: `${owner} image pull secrets`,
      optional: false,
    });
  return refs;
}

export function referencedSecrets(snapshot: Snapshot): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const d of snapshot.list('deployments'))
    refs.push(...podSpecRefs((d.spec?.template?.spec ?? {}) as PodSpec, `Deployment ${d.metadata?.name}`));
  for (const [kind, name] of [
    ['NIMService', 'nimservices'],
    ['NemoEvaluator', 'nemoevaluators'],
  ] as const)
    if (!snapshot.notInstalled(name)) for (const cr of snapshot.list(name)) refs.push(...crRefs(kind, cr));
  return refs;
}

/** What is wrong with one reference, given the Secret's shape (names and sizes only). */
export function refProblem(ref: SecretRef, secret: KObject | undefined): string | undefined {
  if (!secret) return `Secret ${ref.secret} does not exist`;
  if (!ref.key) return undefined;
  const bytes = (secret.keyBytes as Record<string, number> | undefined)?.[ref.key];
  if (bytes === undefined) return `Secret ${ref.secret} has no key ${ref.key}`;
  if (bytes === 0) return `Secret ${ref.secret} key ${ref.key} is empty`;
  return undefined;
}

const describeSecret = (s: KObject | undefined) =>
  !s
    ? 'missing'
    : `present (${s.type ?? 'Opaque'}), keys: ${
        Object.entries((s.keyBytes ?? {}) as Record<string, number>)
          .map(([k, n]) => `${k} (${n} bytes)`)
          .join(', ') || 'none'
      }`;

export function judgeSecrets(refs: SecretRef[], snapshot: Snapshot): Finding {
  if (!refs.length) return coded(codes, 'FD-SEC-001', {}, { evidence: [] });
  const evidence: Evidence[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const name of [...new Set(refs.map((r) => r.secret))].sort()) {
    const secret = snapshot.find('secrets', name);
    const mine = refs.filter((r) => r.secret === name);
    const found = mine.map((r) => ({ r, problem: refProblem(r, secret) }));
    const required = found.filter((x) => x.problem && !x.r.optional);
    const optional = found.filter((x) => x.problem && x.r.optional);
    for (const x of required) problems.push(`${x.problem} (needed by ${x.r.from})`);
    for (const x of optional) warnings.push(`${x.problem} (optional for ${x.r.from})`);
    const note =
      name === 'hf-secret' && required.length
        ? '\nhf-secret is only passed on to the Data Store: any non-empty value works'
        : '';
    evidence.push({
      // "<name> (Secret)", not "Secret <name>:": a name ending in -secret before a colon reads as a credential to the masker.
      label: `${name} (Secret)`,
      value: `${describeSecret(secret)}\nreferenced by: ${mine.map((r) => `${r.from}${r.key ? ` (key ${r.key})` : ''}${r.optional ? ' [optional]' : ''}`).join('; ')}${note}`,
      tone: required.length ? 'bad' : optional.length ? 'info' : 'good',
    });
  }
  if (problems.length) return coded(codes, 'FD-SEC-002', { problems: problems.join('; ') }, { evidence });
  if (warnings.length) return coded(codes, 'FD-SEC-003', { problems: warnings.join('; ') }, { evidence });
  return {
    status: 'pass',
    summary: `All ${new Set(refs.map((r) => r.secret)).size} referenced Secrets exist with non-empty keys`,
    evidence,
  };
}

export default defineCheck<Record<string, never>, SecretRef[]>({
  id: 'referenced-secrets',
  title: 'Every referenced Secret exists with its keys',
  area: 'Secrets',
  codes,
  needs: ['deployments', 'secrets', 'nimservices', 'nemoevaluators'],
  explain: {
    symptom:
      'Pods stuck in CreateContainerConfigError (secret "X" not found), ImagePullBackOff (unauthorized), or a NIMCache that never becomes Ready.',
    rootCause:
      'Secret names drifted across chart versions (ngc-secret / ngc-api-secret vs nvcrimagepullsecret / ngc-api), and some (hf-secret) are referenced even when the chart created nothing. A pod referencing a missing Secret or key never starts.',
    manualFix: (c) => [
      `oc create secret generic ngc-api -n ${c.namespace} --from-literal=NGC_API_KEY=<your NGC API key>   # use the name and key the evidence shows`,
      `oc create secret docker-registry nvcrimagepullsecret -n ${c.namespace} --docker-server=nvcr.io --docker-username='$oauthtoken' --docker-password=<your NGC API key>`,
      `oc create secret generic hf-secret -n ${c.namespace} --from-literal=HF_TOKEN=<any non-empty value if you use no Hugging Face models>`,
    ],
  },
  locate: (snapshot) => referencedSecrets(snapshot),
  judge: ({ subject, snapshot }) => judgeSecrets(subject, snapshot),
});

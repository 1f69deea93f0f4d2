import { coded, codedList, item, type CodedItem } from '../../lib/engine/codes';
import { codes } from './codes';
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import { defineCheck, type Evidence, type Finding } from '../../lib/engine/types';
import type { KObject } from '../../lib/k8s/object';
import '../shared/nim-resources';
import {
  databaseRef,
  databaseSecretProblem,
  eventTime,
  operatorFailures,
  type DatabaseRef,
} from '../shared/operator-render';

/** When the CR's spec (not its status) was last written, from managedFields (server time). */
const lastSpecChange = (cr: KObject) =>
  ((cr.metadata?.managedFields ?? []) as Array<{ time?: string; subresource?: string }>)
    .filter((f) => f.subresource !== 'status' && f.time)
    .map((f) => f.time!)
    .sort()
    .pop() ??
  cr.metadata?.creationTimestamp ??
  '';

/**
 * The NeMo charts' database Secrets: the infra chart's PostgreSQL keeps each service's password in
 * `nemo-infra-<service>-postgresql`; the instances chart copies it into `<service>-pg-existing-secret`,
 * which the service (and the NIM Operator, through spec.databaseConfig) reads.
 */
export const DatabaseSecretsSection = z
  .object({
    services: z.array(z.string()).default(['customizer', 'datastore', 'entity-store', 'evaluator', 'guardrail']),
    serviceSecret: z.string().default('{service}-pg-existing-secret'),
    databaseSecret: z.string().default('nemo-infra-{service}-postgresql'),
    passwordKey: z.string().default('password'),
  })
  .prefault({});

const sections = { databaseSecrets: DatabaseSecretsSection };
type Config = ConfigOf<typeof sections>;

export interface CrDatabase {
  cr: KObject;
  ref: DatabaseRef;
  /** What keeps the operator from rendering this CR (undefined: it can). */
  problem?: string;
  /** The operator's latest "failed" Warning Event on the CR. */
  failure?: KObject;
}

export interface SecretPair {
  service: string;
  serviceSecret: string;
  databaseSecret: string;
  serviceShape?: KObject;
  databaseShape?: KObject;
}

export interface DatabaseSubject {
  crs: CrDatabase[];
  pairs: SecretPair[];
}

const digest = (s: KObject | undefined, key: string) => (s?.keyDigests as Record<string, string> | undefined)?.[key];

export function locateDatabases(snapshot: Snapshot, config: Config): DatabaseSubject {
  const events = snapshot.notInstalled('events') ? [] : snapshot.list('events');
  const crs = (snapshot.notInstalled('nemoevaluators') ? [] : snapshot.list('nemoevaluators')).flatMap((cr) => {
    const ref = databaseRef(cr);
    if (!ref) return [];
    return [
      {
        cr,
        ref,
        problem: databaseSecretProblem(ref, snapshot.find('secrets', ref.secretName)),
        failure: operatorFailures(cr, events)[0],
      },
    ];
  });
  const name = (pattern: string, service: string) => pattern.replaceAll('{service}', service);
  const pairs = config.databaseSecrets.services.map((service) => {
    const serviceSecret = name(config.databaseSecrets.serviceSecret, service);
    const databaseSecret = name(config.databaseSecrets.databaseSecret, service);
    return {
      service,
      serviceSecret,
      databaseSecret,
      serviceShape: snapshot.find('secrets', serviceSecret),
      databaseShape: snapshot.find('secrets', databaseSecret),
    };
  });
  return { crs, pairs };
}

export function judgeDatabases(subject: DatabaseSubject, config: Config): Finding {
  const key = config.databaseSecrets.passwordKey;
  const evidence: Evidence[] = [];
  const fails: CodedItem[] = [];
  const warns: CodedItem[] = [];
  let rootCause: string | undefined;
  for (const c of subject.crs) {
    const label = `${c.cr.kind} ${c.cr.metadata?.name}`;
    evidence.push({
      label,
      value: c.problem
        ? `the operator cannot render it: ${c.problem}`
        : `database password from Secret ${c.ref.secretName} key ${c.ref.passwordKey}: present`,
      tone: c.problem ? 'bad' : 'good',
    });
    // The operator's own failure, when it is newer than the CR's last change: a render stalled for a
    // cause the doctor cannot see (an older one was about a spec since changed).
    const current = c.failure && eventTime(c.failure) >= lastSpecChange(c.cr);
    if (c.failure && (c.problem || current))
      evidence.push({ label: `Operator event on ${label}`, value: String(c.failure.message ?? ''), tone: 'bad' });
    if (current && !c.problem)
      warns.push(item(codes, 'FD-DBSEC-004', { resource: label, message: String(c.failure!.message ?? '') }));
    if (c.problem) {
      const state = String(c.cr.status?.state ?? 'what it said');
      fails.push(item(codes, 'FD-DBSEC-002', { resource: label, problem: c.problem, state }));
      rootCause =
        'Before it renders the Deployment, the NIM Operator reads the database password Secret that spec.databaseConfig names. Without it the operator stops, records a Warning Event on the CR and leaves the status untouched, so the CR looks Ready while no patch to it takes effect.';
    }
  }
  for (const p of subject.pairs) {
    if (!p.serviceShape && !p.databaseShape) continue;
    const a = digest(p.serviceShape, key);
    const b = digest(p.databaseShape, key);
    const agree = a !== undefined && a === b;
    evidence.push({
      label: `${p.service} database password`,
      value: [
        `${p.serviceSecret}: ${p.serviceShape ? (a ? `has ${key}` : `no key ${key}`) : 'missing'}`,
        `${p.databaseSecret}: ${p.databaseShape ? (b ? `has ${key}` : `no key ${key}`) : 'missing'}`,
        a && b ? (agree ? 'the same password' : 'DIFFERENT passwords') : '',
      ]
        .filter(Boolean)
        .join('; '),
      tone: a && b ? (agree ? 'good' : 'bad') : 'info',
    });
    if (a && b && !agree) {
      const names = { serviceSecret: p.serviceSecret, databaseSecret: p.databaseSecret, service: p.service };
      fails.push(item(codes, 'FD-DBSEC-003', names));
      rootCause ??=
        "The instances chart copies each password from the infra chart's PostgreSQL Secret when it is installed; reinstalling the infra chart (a new random password) or creating the service Secret by hand leaves the two apart. PostgreSQL only accepts the password it was initialised with.";
    } else if (p.databaseShape && !p.serviceShape)
      warns.push(
        item(codes, 'FD-DBSEC-005', {
          databaseSecret: p.databaseSecret,
          serviceSecret: p.serviceSecret,
          service: p.service,
        }),
      );
  }
  if (!evidence.length)
    return coded(
      codes,
      'FD-DBSEC-001',
      { pattern: config.databaseSecrets.databaseSecret.replace('{service}', '<service>'), namespace: config.namespace },
      { evidence },
    );
  if (fails.length) return codedList(codes, fails, { evidence, rootCause });
  if (warns.length) return codedList(codes, warns, { evidence });
  const compared = subject.pairs.filter((p) => p.serviceShape && p.databaseShape).map((p) => p.service);
  return {
    status: 'pass',
    summary: [
      subject.crs.length
        ? `The operator has the database Secret of ${subject.crs.map((c) => c.cr.metadata?.name).join(', ')}`
        : '',
      compared.length ? `the service and database passwords agree for ${compared.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('; '),
    evidence,
  };
}

export default defineCheck<typeof sections, DatabaseSubject>({
  id: 'nemo-database-secrets',
  title: "Each NeMo service's database Secret exists and matches the database's",
  area: 'Secrets',
  config: sections,
  codes,
  needs: ['secrets', 'nemoevaluators', 'events'],
  explain: {
    jobSignatures: [
      {
        pattern: /password authentication failed/i,
        cause: "a NeMo service's database password differs from its database's",
      },
    ],
    symptom:
      'A NeMo service crashes right after its wait-for-postgres init container with "password authentication failed"; or a change to a NeMo CR never reaches its Deployment while the CR says Ready.',
    rootCause:
      "The NIM Operator reads the database password Secret a CR's databaseConfig names before it renders; PostgreSQL accepts only the password in the infra chart's nemo-infra-<service>-postgresql Secret.",
    manualFix: (c) => [
      `# copy the database's password into the service's Secret (the value stays between the two commands):`,
      `oc create secret generic <service>-pg-existing-secret -n ${c.namespace} --from-literal=password="$(oc get secret nemo-infra-<service>-postgresql -n ${c.namespace} -o jsonpath='{.data.password}' | base64 -d)" --dry-run=client -o yaml | oc apply -f -`,
      `oc rollout restart deployment -n ${c.namespace} -l app.kubernetes.io/part-of=nemo-<service>-service   # or delete the service's pods`,
    ],
  },
  locate: locateDatabases,
  judge: ({ subject, config }) => judgeDatabases(subject, config),
});

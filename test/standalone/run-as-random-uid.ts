/**
 * Runs the production (standalone) build the way the container image does on OpenShift:
 * an arbitrary UID with GID 0, a read-only app directory, only /tmp writable, in-cluster mode
 * (service account token, CA and namespace files under a prefix; KUBERNETES_SERVICE_HOST/PORT at
 * the local control plane), with the RBAC from deploy/ applied to that service account.
 * Checks readiness and one full run of every check: no 403 anywhere.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHECKS } from '../../checks';
import { KubeAccess, serviceAccountToken, type KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { binDir, FILES, PORTS, REPO_ROOT, testPort, TOKENS } from '../cluster/paths';
import { seedScenario } from '../cluster/seed';

const NS = 'fd-standalone';
const UID = 1000920000;
const APP_PORT = testPort(300);
const GATEWAY_PORT = testPort(60);

async function waitFor(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const r = await fetch(url);
      if (r.ok) return r;
      last = `HTTP ${r.status}: ${await r.text()}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms: ${last}`);
}

/** resourceVersion of every object a fix may touch in the namespace: a refused fix must change none. */
async function versions(admin: KubeClient): Promise<string> {
  const kinds = [
    RESOURCES.roles,
    RESOURCES.rolebindings,
    RESOURCES.configmaps,
    RESOURCES.deployments,
    RESOURCES.nemoevaluators,
  ];
  const lists = await Promise.all(kinds.map((k) => admin.list<KObject>(k, NS)));
  return JSON.stringify(
    lists.flatMap((l) => l.items.map((o) => `${o.kind}/${o.metadata?.name}@${o.metadata?.resourceVersion}`)).sort(),
  );
}

/** What oauth-proxy forwards: fixes run with the user's own token, so RBAC decides and the audit log names the user. */
async function forwardedIdentityFixes(base: string, admin: KubeClient) {
  // The first fix in the registry that writes a Kubernetes object (not a pod): its writes must be attributed.
  const post = (id: string, token: string, body: unknown) =>
    fetch(`${base}/api/checks/${id}/fix`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-Access-Token': token },
      body: JSON.stringify(body),
    });
  let id = '';
  let targets: string[] = [];
  for (const c of CHECKS.filter((x) => x.fix)) {
    const preview = (await (await post(c.id, TOKENS.editor.token, { dryRun: true })).json()) as {
      plan?: { changes: Array<{ target: string; action: string }> };
    };
    const writes = (preview.plan?.changes ?? []).filter(
      (ch) => ch.action !== 'restart' && !ch.target.startsWith('Pod '),
    );
    if (writes.length) {
      id = c.id;
      targets = writes.map((ch) => ch.target);
      break;
    }
  }
  if (!id) throw new Error('no fix in the registry plans a write to a Kubernetes object');

  const before = await versions(admin);
  const denied = await post(id, TOKENS.readonly.token, { dryRun: false });
  const deniedBody = (await denied.json()) as { error: string };
  if (denied.status !== 403 || !/oc adm policy/.test(deniedBody.error))
    throw new Error(
      `read-only user's ${id} fix: expected an explained 403, got ${denied.status} ${JSON.stringify(deniedBody)}`,
    );
  if ((await versions(admin)) !== before) throw new Error(`read-only user's refused ${id} fix changed the namespace`);
  console.log(`read-only user's ${id} fix refused (403): ${deniedBody.error.slice(0, 160)}...`);

  const ok = await post(id, TOKENS.editor.token, { dryRun: false });
  const okBody = (await ok.json()) as { outcome: string; verified?: { status: string } };
  if (ok.status !== 200 || okBody.outcome !== 'applied' || okBody.verified?.status !== 'pass')
    throw new Error(`editor's ${id} fix: ${ok.status} ${JSON.stringify(okBody)}`);
  // The API server's audit log names the editor, not the app's service account, for each planned write.
  const names = targets.map((t) => t.split('/').pop()!);
  const deadline = Date.now() + 10_000;
  for (;;) {
    const events = fs
      .readFileSync(FILES.auditLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as {
            verb: string;
            user: { username: string };
            objectRef?: { resource?: string; namespace?: string; name?: string };
            responseStatus?: { code: number };
          },
      );
    const writes = events.filter(
      (e) =>
        ['create', 'patch', 'update'].includes(e.verb) &&
        e.objectRef?.namespace === NS &&
        names.includes(e.objectRef.name ?? '') &&
        (e.responseStatus?.code ?? 0) < 300 &&
        e.user.username !== 'system:serviceaccount:kube-system:generic-garbage-collector',
    );
    const byEditor = writes.filter((e) => e.user.username === TOKENS.editor.user);
    if (byEditor.length) {
      const other = writes.find((e) => e.user.username.startsWith(`system:serviceaccount:${NS}:`));
      if (other) throw new Error(`a write of the fix was made by ${other.user.username}, not ${TOKENS.editor.user}`);
      const e = byEditor[0]!;
      console.log(
        `editor's ${id} fix applied and verified; audit log: ${e.verb} ${e.objectRef?.resource}/${NS}/${e.objectRef?.name} by ${e.user.username}`,
      );
      return;
    }
    if (Date.now() > deadline) throw new Error(`no audit event for the editor's ${id} fix (${targets.join(', ')})`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function main() {
  const standalone = path.join(REPO_ROOT, '.next/standalone');
  if (!fs.existsSync(path.join(standalone, 'server.js')))
    throw new Error('no standalone build: run npm run build first');
  await seedScenario({ scenario: 'broken', namespace: NS, gatewayPort: GATEWAY_PORT, log: () => undefined });

  // The deploy/ manifests (plain Kubernetes overlay), re-namespaced, applied with server-side validation.
  const kubectl = path.join(binDir(), 'kubectl');
  const manifests = execFileSync(kubectl, ['kustomize', path.join(REPO_ROOT, 'deploy/kubernetes')])
    .toString()
    .replace(/namespace: flywheel\b/g, `namespace: ${NS}`);
  execFileSync(kubectl, ['--kubeconfig', FILES.adminKubeconfig, 'apply', '-f', '-'], {
    input: manifests,
    stdio: ['pipe', 'ignore', 'inherit'],
  });

  // The pod's service account files, as the kubelet would mount them.
  const admin = new KubeAccess({ kubeconfig: FILES.adminKubeconfig }).app();
  const token = await serviceAccountToken(admin, NS, 'flywheel-doctor');
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-pod-'));
  const saDir = path.join(prefix, 'var/run/secrets/kubernetes.io/serviceaccount');
  fs.mkdirSync(saDir, { recursive: true });
  fs.writeFileSync(path.join(saDir, 'token'), token);
  fs.copyFileSync(path.join(FILES.pki, 'ca.crt'), path.join(saDir, 'ca.crt'));
  fs.writeFileSync(path.join(saDir, 'namespace'), NS);
  execFileSync('chmod', ['-R', 'a+rX', prefix]);

  // A read-only copy of the app, owned by root: the random UID can read but not write it.
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-app-'));
  fs.cpSync(standalone, app, { recursive: true });
  execFileSync('chown', ['-R', '0:0', app]);
  execFileSync('chmod', ['-R', 'a-w,a+rX', app]);

  const env: Record<string, string> = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: '/tmp',
    NODE_ENV: 'production',
    NEXT_TELEMETRY_DISABLED: '1',
    HOSTNAME: '127.0.0.1',
    PORT: String(APP_PORT),
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: String(PORTS.apiserver),
    FD_IN_CLUSTER_PREFIX: prefix,
    FD_SERVICE_URL_OVERRIDES: `nemo-gateway=http://127.0.0.1:${GATEWAY_PORT}`,
  };
  const server = spawn(
    'setpriv',
    [`--reuid=${UID}`, '--regid=0', '--clear-groups', '--inh-caps=-all', process.execPath, 'server.js'],
    { cwd: app, env: env as unknown as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  server.stdout.on('data', (d: Buffer) => (output += d));
  server.stderr.on('data', (d: Buffer) => (output += d));
  const base = `http://127.0.0.1:${APP_PORT}`;
  try {
    const ready = await (await waitFor(`${base}/api/readyz`, 30_000)).json();
    console.log(`ready as uid ${UID} gid 0: ${JSON.stringify(ready)}`);
    const ctx = (await (await fetch(`${base}/api/context`)).json()) as { acting: { user: string; source: string } };
    if (ctx.acting.source !== 'service account' || ctx.acting.user !== `system:serviceaccount:${NS}:flywheel-doctor`)
      throw new Error(`unexpected identity: ${JSON.stringify(ctx.acting)}`);
    const res = await fetch(`${base}/api/runs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ wait: true }),
    });
    const { run } = (await res.json()) as { run: { checks: Array<{ id: string; status: string; summary: string }> } };
    for (const c of run.checks) console.log(`  ${c.status.padEnd(7)} ${c.id}: ${c.summary}`);
    const denied = run.checks.filter((c) => c.status === 'error' || /forbidden|missing permission/i.test(c.summary));
    if (run.checks.length !== 5 || denied.length)
      throw new Error(
        `the service account could not run every check: ${denied.map((c) => `${c.id}: ${c.summary}`).join('; ')}`,
      );
    if (!run.checks.every((c) => c.status === 'fail'))
      throw new Error('expected the seeded broken namespace to fail every check');
    console.log('standalone build as a random UID: ready, full run without 403');
    await forwardedIdentityFixes(base, admin);
  } catch (e) {
    console.error(`server output:\n${output}`);
    throw e;
  } finally {
    server.kill('SIGTERM');
    fs.rmSync(app, { recursive: true, force: true });
    fs.rmSync(prefix, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});

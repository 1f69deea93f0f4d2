/**
 * Runs the built image (npm run image) the way OpenShift runs it: `buildah run` on the image's
 * filesystem as a random UID from the namespace range with GID 0, the deployed service account's
 * token, CA and namespace mounted where the kubelet mounts them, against the local control plane,
 * with the RBAC from deploy/ applied. Checks: readiness, a full run with no 403, a viewer's
 * forwarded fix refused with an explained 403, an editor's fix applied, verified and attributed in
 * the audit log, and nothing writable but /tmp. The server runs with the OpenShift overlay's rendered
 * app container spec (its env and port), and its probes run as the kubelet's prober code builds them
 * (test/cluster/probecheck): exec probes inside the container, HTTP probes at the port they resolve to.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHECKS } from '../../checks';
import { KubeAccess, serviceAccountToken, type KubeClient } from '../../lib/k8s/client';
import type { KObject } from '../../lib/k8s/object';
import { RESOURCES } from '../../lib/k8s/resources';
import { binDir, FILES, PORTS, REPO_ROOT, testPort, TOKENS, serviceOverridesEnv } from '../cluster/paths';
import { seedScenario } from '../cluster/seed';
import { parseAllDocuments } from 'yaml';

interface BuiltProbe {
  container: string;
  kind: string;
  type: string;
  url?: string;
  command?: string[];
  error?: string;
}

/**
 * The OpenShift overlay's app container as rendered, and its probes as the kubelet builds them. The
 * port is moved to the test's own (the host network is shared), in the env and the ports alike, so
 * the probes are built from the same spec the server starts with.
 */
function renderedAppContainer(kubectl: string, port: number) {
  const text = execFileSync(kubectl, ['kustomize', path.join(REPO_ROOT, 'deploy/openshift')]).toString();
  const docs = parseAllDocuments(text).map((d) => d.toJS());
  const dep = docs.find((o) => o.kind === 'Deployment');
  const app = dep.spec.template.spec.containers.find((c: { name: string }) => c.name === 'app');
  const envList = (app.env ?? []) as Array<{ name: string; value?: string }>;
  const from = Number(envList.find((e) => e.name === 'PORT')?.value ?? 8080);
  for (const e of envList) if (e.name === 'PORT') e.value = String(port);
  for (const p of app.ports ?? []) if (p.containerPort === from) p.containerPort = port;
  const probes = (
    JSON.parse(execFileSync(path.join(binDir(), 'probecheck'), { input: JSON.stringify(dep) }).toString()) as {
      probes: BuiltProbe[];
    }
  ).probes.filter((p) => p.container === 'app');
  const broken = probes.filter((p) => p.error);
  if (broken.length) throw new Error(`the kubelet cannot build the app's probes: ${JSON.stringify(broken)}`);
  const env = Object.fromEntries(envList.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  return { env, probes, args: (app.args ?? []) as string[] };
}

const NS = 'fd-image';
/** The storage scripts/image.sh builds into (vfs: no overlay needed). */
const BUILDAH_ENV = { ...process.env, STORAGE_DRIVER: 'vfs', BUILDAH_ISOLATION: 'chroot' };
const UID = 1000920000;
const APP_PORT = testPort(300);
const GATEWAY_PORT = testPort(60);

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
  // The first fix in the registry that writes a Kubernetes object (not a pod) and is judged on its own
  // (no dependsOn: a check judged through another one, such as evaluator-entity-store-url through
  // gateway-models, cannot verify pass while that one still fails): its writes must be attributed.
  const post = (id: string, token: string, body: unknown) =>
    fetch(`${base}/api/checks/${id}/fix`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-Access-Token': token },
      body: JSON.stringify(body),
    });
  let id = '';
  let targets: string[] = [];
  let confirmed = {};
  for (const c of CHECKS.filter((x) => x.fix && !x.dependsOn?.length)) {
    const preview = (await (await post(c.id, TOKENS.editor.token, { dryRun: true })).json()) as {
      plan?: { changes: Array<{ target: string; action: string }>; fingerprint: string; guards: unknown[] };
    };
    const writes = (preview.plan?.changes ?? []).filter(
      (ch) => ch.action !== 'restart' && !ch.target.startsWith('Pod '),
    );
    if (writes.length) {
      id = c.id;
      targets = writes.map((ch) => ch.target);
      // Applying confirms this previewed plan (its fingerprint), as the dashboard does.
      confirmed = { expectedFingerprint: preview.plan!.fingerprint, expectedGuards: preview.plan!.guards };
      break;
    }
  }
  if (!id) throw new Error('no fix in the registry plans a write to a Kubernetes object');

  const before = await versions(admin);
  const denied = await post(id, TOKENS.readonly.token, { dryRun: false, ...confirmed });
  const deniedBody = (await denied.json()) as { error: string };
  if (denied.status !== 403 || !/oc adm policy/.test(deniedBody.error))
    throw new Error(
      `read-only user's ${id} fix: expected an explained 403, got ${denied.status} ${JSON.stringify(deniedBody)}`,
    );
  if ((await versions(admin)) !== before) throw new Error(`read-only user's refused ${id} fix changed the namespace`);
  console.log(`read-only user's ${id} fix refused (403): ${deniedBody.error.slice(0, 160)}...`);

  const ok = await post(id, TOKENS.editor.token, { dryRun: false, ...confirmed });
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
  let imageCommand: string[] = [];
  const image =
    process.env.FD_IMAGE ??
    `localhost/flywheel-doctor:${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).version}`;
  const buildah = (...args: string[]) => execFileSync('buildah', args, { encoding: 'utf8', env: BUILDAH_ENV }).trim();
  try {
    const config = JSON.parse(buildah('inspect', '--type', 'image', image)).OCIv1.config;
    imageCommand = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  } catch {
    throw new Error(`no image ${image}: build it first with npm run image`);
  }
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
  const saDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-sa-'));
  fs.writeFileSync(path.join(saDir, 'token'), token);
  fs.copyFileSync(path.join(FILES.pki, 'ca.crt'), path.join(saDir, 'ca.crt'));
  fs.writeFileSync(path.join(saDir, 'namespace'), NS);
  execFileSync('chmod', ['-R', 'a+rX', saDir]);

  const ctr = buildah('from', '--pull-never', '--name', `fd-image-test-${process.pid}`, image);
  const run = (args: string[], extra: string[] = []) =>
    spawnSync('buildah', ['run', '--isolation', 'chroot', '--user', `${UID}:0`, ...extra, ctr, '--', ...args], {
      encoding: 'utf8',
      env: BUILDAH_ENV,
    });

  // Nothing writable but /tmp, as that UID.
  const appWrite = run(['sh', '-c', 'touch /app/fd-write-test']);
  if (appWrite.status === 0) throw new Error(`UID ${UID} could write into /app in the image`);
  const tmpWrite = run(['sh', '-c', 'touch /tmp/fd-write-test && id -u && id -g']);
  if (tmpWrite.status !== 0) throw new Error(`UID ${UID} cannot write /tmp in the image: ${tmpWrite.stderr}`);
  console.log(
    `as uid ${tmpWrite.stdout.trim().split('\n').join(' gid ')}: /app is read-only (${appWrite.stderr.trim().split('\n').pop()}), /tmp is writable`,
  );

  const app = renderedAppContainer(kubectl, APP_PORT);
  const env: Record<string, string> = {
    ...app.env,
    // What the kubelet adds (the API server's address), and outside-the-cluster Service addresses.
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: String(PORTS.apiserver),
    FD_SERVICE_URL_OVERRIDES: serviceOverridesEnv(GATEWAY_PORT),
  };
  // The image's own command (WORKDIR /app, its CMD), on the host's network. The
  // service account files go where the kubelet puts them; /var/run is a link to /run in the image,
  // and buildah mounts through the real path.
  const server = spawn(
    'buildah',
    [
      'run',
      '--isolation',
      'chroot',
      '--user',
      `${UID}:0`,
      '--volume',
      `${saDir}:/run/secrets/kubernetes.io/serviceaccount:ro`,
      ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      ctr,
      '--',
      ...(app.args.length ? [...imageCommand, ...app.args] : imageCommand),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: BUILDAH_ENV },
  );
  let output = '';
  server.stdout.on('data', (d: Buffer) => (output += d));
  server.stderr.on('data', (d: Buffer) => (output += d));
  const base = `http://127.0.0.1:${APP_PORT}`;
  /** One probe as the kubelet would run it: an exec inside the container (its env), or the built request. */
  const probe = async (p: BuiltProbe): Promise<string | undefined> => {
    if (p.type === 'exec') {
      const r = run(
        p.command!,
        Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      );
      return r.status === 0 ? undefined : `exit ${r.status}: ${(r.stderr || r.stdout).trim().slice(-300)}`;
    }
    if (p.type === 'httpGet') {
      const url = new URL(p.url!);
      url.hostname = '127.0.0.1'; // the pod IP: here the host's loopback
      try {
        const res = await fetch(url);
        return res.status >= 200 && res.status < 400 ? undefined : `HTTP ${res.status}`;
      } catch (e) {
        return (e as Error).message;
      }
    }
    return `probe type ${p.type} not run by this test`;
  };
  try {
    const readiness = app.probes.find((p) => p.kind === 'readiness')!;
    const deadline = Date.now() + 60_000;
    for (let failed = await probe(readiness); failed; failed = await probe(readiness)) {
      if (Date.now() > deadline)
        throw new Error(`the readiness probe as the kubelet builds it never passed: ${failed}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    for (const p of app.probes) {
      const failed = await probe(p);
      if (failed) throw new Error(`the app container's ${p.kind} probe (${p.type}) fails: ${failed}`);
    }
    console.log(
      `the OpenShift app container's probes, as the kubelet builds them, pass: ${app.probes.map((p) => `${p.kind} ${p.type}`).join(', ')}`,
    );
    const ready = await (await fetch(`${base}/api/readyz`)).json();
    console.log(`image ${image} ready as uid ${UID} gid 0: ${JSON.stringify(ready)}`);
    // The overlay requires a logged-in user: reads of cluster data too (a request past oauth-proxy has none).
    const anonymous = await fetch(`${base}/api/context`);
    if (anonymous.status !== 401)
      throw new Error(`/api/context without a login: expected 401, got ${anonymous.status} ${await anonymous.text()}`);
    const ctx = (await (
      await fetch(`${base}/api/context`, { headers: { 'X-Forwarded-Access-Token': TOKENS.readonly.token } })
    ).json()) as { acting: { user: string; source: string } };
    if (ctx.acting.source !== 'forwarded login (oauth-proxy)' || ctx.acting.user !== TOKENS.readonly.user)
      throw new Error(`unexpected identity: ${JSON.stringify(ctx.acting)}`);
    console.log(`/api/context: 401 without a login; as the forwarded login: ${ctx.acting.user}`);
    // As oauth-proxy forwards it (the overlay requires a logged-in user): a project member who may only view.
    const res = await fetch(`${base}/api/runs`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Forwarded-Access-Token': TOKENS.readonly.token },
      body: JSON.stringify({ wait: true }),
    });
    const { run: result } = (await res.json()) as {
      run: { checks: Array<{ id: string; status: string; summary: string }> };
    };
    for (const c of result.checks) console.log(`  ${c.status.padEnd(7)} ${c.id}: ${c.summary}`);
    const denied = result.checks.filter((c) => c.status === 'error' || /forbidden|missing permission/i.test(c.summary));
    if (result.checks.length !== CHECKS.length || denied.length)
      throw new Error(
        `the service account could not run every check: ${denied.map((c) => `${c.id}: ${c.summary}`).join('; ')}`,
      );
    // Every check finds its seeded failure; a check that only warns (flywheel-state-persistence) warns.
    const missed = result.checks.filter((c) => c.status !== 'fail' && c.status !== 'warn');
    if (missed.length)
      throw new Error(
        `expected the seeded broken namespace to fail every check; not: ${missed.map((c) => c.id).join(', ')}`,
      );
    console.log('the image as a random UID: ready, full run without 403');
    await forwardedIdentityFixes(base, admin);
  } catch (e) {
    console.error(`server output:\n${output}`);
    throw e;
  } finally {
    // Only what this test started: the buildah process group (by its PID), then the container.
    try {
      process.kill(-server.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    await new Promise((r) => setTimeout(r, 500));
    try {
      process.kill(-server.pid!, 'SIGKILL');
    } catch {
      /* exited */
    }
    spawnSync('buildah', ['rm', ctr], { stdio: 'ignore', env: BUILDAH_ENV });
    fs.rmSync(saDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});

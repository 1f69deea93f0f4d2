import fs from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { KubeConfig } from './kubeconfig';
import { KubeApiError, type Attempt } from './errors';
import type http2 from 'node:http2';
import { http2Request, openStream } from './http2';
import { resourcePath, type ResourceType } from './resources';

export interface ConnectionOptions {
  kubeconfig?: string;
  context?: string;
  /** Path prefix for in-cluster files (token, ca.crt, namespace); used by tests to simulate a pod. */
  inClusterPrefix?: string;
  /** One HTTP/2 connection for all requests, watches too (short-lived callers: the CLI). */
  http2?: boolean;
}

/** Who a request acts as: the app's own identity, or a user's forwarded bearer token. */
export type Identity = { kind: 'app' } | { kind: 'token'; token: string };

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Return the body as text instead of parsing JSON (pod logs). */
  text?: boolean;
  attempt?: Omit<Attempt, 'user'>;
}

/** Loads a KubeConfig the way kubectl does: explicit file, $KUBECONFIG, ~/.kube/config, or in-cluster. */
/** Why a loaded kubeconfig names no cluster to talk to, in terms of the file given. */
function noClusterReason(kc: KubeConfig, file: string | undefined): string {
  const which = file ? `kubeconfig ${file}` : 'the kubeconfig';
  const contexts = kc.getContexts().map((c) => c.name);
  if (!contexts.length)
    return `${which} has no contexts: log in (oc login / kubectl config set-context) or pass a kubeconfig that has one`;
  if (!kc.currentContext)
    return `${which} has no current-context: pass --context with one of: ${contexts.slice(0, 10).join(', ')}`;
  const ctx = kc.getContextObject(kc.currentContext);
  if (!ctx)
    return `${which}: current-context "${kc.currentContext}" is not among its contexts (${contexts.slice(0, 10).join(', ')})`;
  return `${which}: context "${ctx.name}" names cluster "${ctx.cluster}", which is not in the file`;
}

export function loadKubeConfig(opts: ConnectionOptions = {}): { kc: KubeConfig; mode: 'kubeconfig' | 'in-cluster' } {
  const inCluster =
    !opts.kubeconfig &&
    !process.env.KUBECONFIG &&
    (opts.inClusterPrefix !== undefined || process.env.KUBERNETES_SERVICE_HOST);
  if (inCluster) {
    return { kc: KubeConfig.fromCluster(opts.inClusterPrefix ?? process.env.FD_IN_CLUSTER_PREFIX), mode: 'in-cluster' };
  }
  const kc = opts.kubeconfig ? KubeConfig.fromFile(opts.kubeconfig) : KubeConfig.fromDefault();
  if (opts.context) {
    if (!kc.getContextObject(opts.context))
      throw new Error(
        `context "${opts.context}" not found in the kubeconfig (available: ${
          kc
            .getContexts()
            .map((c) => c.name)
            .join(', ') || 'none'
        })`,
      );
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new Error(noClusterReason(kc, opts.kubeconfig ?? process.env.KUBECONFIG));
  if (!/^https?:\/\//.test(kc.getCurrentCluster()!.server))
    throw new Error(`the kubeconfig's server "${kc.getCurrentCluster()!.server}" is not an http(s) URL`);
  return { kc, mode: 'kubeconfig' };
}

/** The namespace a kubeconfig context (or an in-cluster pod) points at, like kubectl. */
export function defaultNamespace(kc: KubeConfig, prefix?: string): string | undefined {
  const ctx = kc.getContextObject(kc.getCurrentContext());
  if (ctx?.namespace) return ctx.namespace;
  try {
    const p = `${prefix ?? process.env.FD_IN_CLUSTER_PREFIX ?? ''}/var/run/secrets/kubernetes.io/serviceaccount/namespace`;
    if (fs.existsSync(p)) return fs.readFileSync(p, 'utf8').trim();
  } catch {
    /* not in a pod */
  }
  return undefined;
}

/** One request over HTTP/1.1 (the server, and API servers or proxies without h2): status and body. */
function http1Request(
  url: URL,
  reqOpts: https.RequestOptions,
  payload: string | undefined,
  timeoutMs: number,
  timeoutMessage: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'http:' ? http : https;
    const req = lib.request(url, reqOpts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(timeoutMessage)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** How long a request waits for its answer unless told otherwise. */
const DEFAULT_TIMEOUT_MS = 15_000;

/** How every error of a request that got no answer at all begins. */
export const UNREACHABLE = 'could not reach the Kubernetes API';

/**
 * The one place that talks HTTP to the Kubernetes API. Thin on purpose: JSON in and out,
 * error Status bodies turned into KubeApiError with an actionable message.
 */
export class KubeClient {
  constructor(
    readonly kc: KubeConfig,
    readonly identity: Identity,
    readonly userLabel?: string,
  ) {}

  get server(): string {
    return this.kc.getCurrentCluster()?.server ?? '';
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const url = new URL(this.server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const attempt = opts.attempt ? { ...opts.attempt, user: this.userLabel } : undefined;
    const timeoutMessage = `timed out after ${timeoutMs} ms waiting for the API server at ${url.host}: check network access to the cluster`;
    const unreachable = (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') return e;
      const why =
        e.code === 'ECONNREFUSED'
          ? `nothing is listening at ${url.host}: is the cluster running and the kubeconfig current?`
          : e.message;
      return new KubeApiError(0, why, `${UNREACHABLE}: ${why}`, attempt);
    };
    const session = await this.kc
      .http2()
      ?.open(timeoutMs)
      .catch((e: NodeJS.ErrnoException) => {
        throw unreachable(e);
      });
    const reqOpts = await this.authorized(method, session);
    const headers = (reqOpts.headers ?? {}) as Record<string, string>;
    let payload: string | undefined;
    if (opts.body !== undefined) {
      // Escaped the way Go's encoder writes them: the API server compares a JSON Patch `test` value
      // with the stored JSON byte for byte, so a raw "&", "<" or ">" (e.g. in an nginx.conf) would
      // never equal its stored "\u0026", "\u003c", "\u003e". Only strings can hold these characters.
      payload = JSON.stringify(opts.body).replace(
        /[<>&\u2028\u2029]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(payload));
    }
    reqOpts.headers = headers;
    const { status, body } = await (
      session
        ? http2Request(session, url, method, headers, payload, timeoutMs, opts.signal, timeoutMessage)
        : http1Request(url, { ...reqOpts, signal: opts.signal }, payload, timeoutMs, timeoutMessage)
    ).catch((e: NodeJS.ErrnoException) => {
      throw unreachable(e);
    });
    if (status >= 200 && status < 300) {
      if (opts.text) return body as T;
      return (body ? JSON.parse(body) : {}) as T;
    }
    let reason = '';
    let message = body.slice(0, 500);
    try {
      const st = JSON.parse(body) as { reason?: string; message?: string };
      reason = st.reason ?? '';
      message = st.message ?? message;
    } catch {
      /* non-JSON error body */
    }
    throw new KubeApiError(status, reason, message, attempt);
  }

  /**
   * Resolves once the requests started before it are on their way: the HTTP/2 connection is open and
   * their frames written (over HTTP/1.1, each request has its own connection: at once). Never
   * rejects: each request reports its own failure.
   */
  async sent(): Promise<void> {
    await this.sessionIfAny();
    // The streams are opened a few promise turns after the session; Node writes their frames in
    // the check phase, before this callback.
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** The HTTP/2 session when this client speaks HTTP/2 and the server answers; else undefined. */
  private async sessionIfAny(): Promise<http2.ClientHttp2Session | undefined> {
    return this.kc
      .http2()
      ?.open(DEFAULT_TIMEOUT_MS)
      .catch(() => undefined);
  }

  /** Request options with this client's credentials: a header on HTTP/2, TLS options on HTTP/1.1. */
  private async authorized(
    method: string,
    session: http2.ClientHttp2Session | undefined,
  ): Promise<https.RequestOptions> {
    const reqOpts: https.RequestOptions = { method, headers: { Accept: 'application/json' } };
    if (session) {
      const auth = this.kc.authorization();
      if (auth) reqOpts.headers = { ...reqOpts.headers, Authorization: auth };
    } else await this.kc.applyToHTTPSOptions(reqOpts);
    return reqOpts;
  }

  /** True when both read as the same identity through the same configuration (and connection). */
  readsLike(other: KubeClient): boolean {
    return this.kc === other.kc && this.identity.kind === 'app' && other.identity.kind === 'app';
  }

  // Typed helpers over request(); each names the attempt so errors explain themselves.
  get<T>(type: ResourceType, namespace: string | undefined, name: string, opts: RequestOptions = {}) {
    return this.request<T>('GET', resourcePath(type, namespace, name), {
      ...opts,
      attempt: { verb: 'get', group: type.group, resource: type.plural, namespace, name },
    });
  }

  /** Lists in pages (limit/continue) so a namespace with thousands of pods never arrives as one huge body. */
  async list<T>(type: ResourceType, namespace: string | undefined, opts: RequestOptions & { pageSize?: number } = {}) {
    const attempt = { verb: 'list', group: type.group, resource: type.plural, namespace };
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const query = { ...opts.query, limit: opts.pageSize ?? 500, continue: cont };
      const page = await this.request<{ items?: T[]; metadata?: { resourceVersion?: string; continue?: string } }>(
        'GET',
        resourcePath(type, namespace),
        { ...opts, query, attempt },
      );
      for (const item of page.items ?? []) items.push(item);
      resourceVersion = page.metadata?.resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, metadata: { resourceVersion } };
  }

  /**
   * Watches one object (`fieldSelector=metadata.name=...`) from a resourceVersion and calls onEvent
   * with each new state until it returns true, the server ends the watch, or timeoutSeconds pass.
   * Resolves 'done', 'ended' (re-get and watch again) or 'gone' (410: the version is too old).
   */
  watchObject<T extends { metadata?: { resourceVersion?: string } }>(
    type: ResourceType,
    namespace: string,
    /** One object; undefined watches every object of the type in the namespace. */
    name: string | undefined,
    resourceVersion: string,
    onEvent: (obj: T, kind: string) => boolean,
    /** `fieldSelector` narrows a watch of every object (e.g. the pods bound to one node). */
    opts: { timeoutSeconds: number; signal?: AbortSignal; fieldSelector?: string },
  ): Promise<'done' | 'ended' | 'gone'> {
    const url = new URL(this.server.replace(/\/$/, '') + resourcePath(type, namespace));
    url.searchParams.set('watch', '1');
    const selector = name !== undefined ? `metadata.name=${name}` : opts.fieldSelector;
    if (selector) url.searchParams.set('fieldSelector', selector);
    url.searchParams.set('resourceVersion', resourceVersion);
    url.searchParams.set('allowWatchBookmarks', 'true');
    url.searchParams.set('timeoutSeconds', String(Math.max(1, Math.ceil(opts.timeoutSeconds))));
    return (async () => {
      // On the run's HTTP/2 connection when there is one (no handshake of its own), else HTTP/1.1.
      const session = await this.sessionIfAny();
      const reqOpts = await this.authorized('GET', session);
      return new Promise<'done' | 'ended' | 'gone'>((resolve, reject) => {
        /** The answer's status and body, however it came; `stop` ends the watch from this side. */
        const read = (status: number, body: NodeJS.ReadableStream, stop: () => void) => {
          if (status >= 300) {
            body.resume();
            return status === 410
              ? resolve('gone')
              : reject(new KubeApiError(status, '', `watch ${type.plural}: HTTP ${status}`));
          }
          let buf = '';
          body.setEncoding('utf8');
          body.on('data', (chunk: string) => {
            buf += chunk;
            let nl: number;
            while ((nl = buf.indexOf('\n')) >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              if (!line.trim()) continue;
              const ev = JSON.parse(line) as { type: string; object: T & { code?: number } };
              if (ev.type === 'ERROR') {
                stop();
                return resolve(ev.object.code === 410 ? 'gone' : 'ended');
              }
              if (ev.type === 'BOOKMARK') continue;
              if (onEvent(ev.object, ev.type)) {
                stop();
                return resolve('done');
              }
            }
          });
          body.on('end', () => resolve('ended'));
          body.on('error', () => resolve('ended'));
        };
        const failed = (e: Error) => (e.name === 'AbortError' ? reject(e) : resolve('ended'));
        if (session) {
          const headers = reqOpts.headers as Record<string, string>;
          const stream = openStream(session, url, 'GET', headers, { endStream: true, signal: opts.signal });
          stream.on('response', (h) => read(Number(h[':status'] ?? 0), stream, () => stream.close()));
          stream.on('error', failed);
          // Reset by the server (or its session closed): the caller re-gets and watches again.
          stream.on('close', () => resolve('ended'));
          return;
        }
        const lib = url.protocol === 'http:' ? http : https;
        const req = lib.request(url, { ...reqOpts, signal: opts.signal }, (res) =>
          read(res.statusCode ?? 0, res, () => req.destroy()),
        );
        req.on('error', failed);
        req.end();
      });
    })();
  }

  /** JSON Patch (RFC 6902). Include `test` ops to guard against concurrent changes. */
  jsonPatch<T>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    ops: JsonPatchOp[],
    opts: { dryRun?: boolean; fieldManager?: string } = {},
  ) {
    return this.request<T>('PATCH', resourcePath(type, namespace, name), {
      body: ops,
      contentType: 'application/json-patch+json',
      // Strict: a field the schema does not know is an error, never silently pruned from the write.
      query: {
        dryRun: opts.dryRun ? 'All' : undefined,
        fieldManager: opts.fieldManager ?? 'flywheel-doctor',
        fieldValidation: 'Strict',
      },
      attempt: { verb: 'patch', group: type.group, resource: type.plural, namespace, name },
    });
  }

  create<T>(type: ResourceType, namespace: string | undefined, body: unknown, opts: { dryRun?: boolean } = {}) {
    return this.request<T>('POST', resourcePath(type, namespace), {
      body,
      query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: 'flywheel-doctor', fieldValidation: 'Strict' },
      attempt: { verb: 'create', group: type.group, resource: type.plural, namespace },
    });
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { gracePeriodSeconds?: number; dryRun?: boolean; resourceVersion?: string; uid?: string } = {},
  ) {
    // A guarded delete: refused (409) if the object changed since that version was read, or (uid)
    // if it is another object by the same name.
    const preconditions = {
      ...(opts.resourceVersion ? { resourceVersion: opts.resourceVersion } : {}),
      ...(opts.uid ? { uid: opts.uid } : {}),
    };
    return this.request('DELETE', resourcePath(type, namespace, name), {
      ...(Object.keys(preconditions).length
        ? { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions } }
        : {}),
      query: {
        gracePeriodSeconds: opts.gracePeriodSeconds,
        dryRun: opts.dryRun ? 'All' : undefined,
        propagationPolicy: 'Background',
      },
      attempt: { verb: 'delete', group: type.group, resource: type.plural, namespace, name },
    });
  }

  podLog(
    namespace: string,
    pod: string,
    container: string,
    opts: { tailLines?: number; previous?: boolean; limitBytes?: number } = {},
  ) {
    return this.request<string>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/log`,
      {
        text: true,
        query: {
          container,
          tailLines: opts.tailLines,
          previous: opts.previous,
          limitBytes: opts.limitBytes ?? 64 * 1024,
        },
        attempt: { verb: 'get', group: '', resource: 'pods/log', namespace, name: pod },
      },
    );
  }
}

export type JsonPatchOp =
  { op: 'add' | 'replace' | 'test'; path: string; value: unknown } | { op: 'remove'; path: string };

/** Escapes a key for use inside a JSON Pointer path segment. */
export function jsonPointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/**
 * Cluster access for the app: reads use the app's own identity; fixes use the caller's forwarded
 * token when one is present (so cluster RBAC decides and audit logs name the real user).
 */
export class KubeAccess {
  readonly kc: KubeConfig;
  readonly mode: 'kubeconfig' | 'in-cluster';
  readonly namespace?: string;

  constructor(opts: ConnectionOptions = {}) {
    const { kc, mode } = loadKubeConfig(opts);
    this.kc = kc;
    this.kc.useHttp2 = !!opts.http2;
    this.mode = mode;
    this.namespace = defaultNamespace(kc, opts.inClusterPrefix);
  }

  app(): KubeClient {
    return new KubeClient(this.kc, { kind: 'app' }, this.appUserLabel());
  }

  as(identity: Identity): KubeClient {
    if (identity.kind === 'app') return this.app();
    return new KubeClient(this.kc.withToken(identity.token), identity);
  }

  private appUserLabel(): string | undefined {
    if (this.mode === 'in-cluster') return undefined; // resolved via SelfSubjectReview when needed
    return this.kc.getCurrentUser()?.name;
  }
}

/** Asks the API server who an identity is (SelfSubjectReview, GA since 1.28). */
export async function whoAmI(client: KubeClient): Promise<{ username: string; groups: string[] }> {
  const res = await client.request<{ status?: { userInfo?: { username?: string; groups?: string[] } } }>(
    'POST',
    '/apis/authentication.k8s.io/v1/selfsubjectreviews',
    {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      attempt: { verb: 'create', group: 'authentication.k8s.io', resource: 'selfsubjectreviews' },
    },
  );
  return { username: res.status?.userInfo?.username ?? 'unknown', groups: res.status?.userInfo?.groups ?? [] };
}

export interface AccessQuestion {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** A short-lived token for a service account (TokenRequest API), as the kubelet mounts into pods. */
export async function serviceAccountToken(
  client: KubeClient,
  namespace: string,
  serviceAccount: string,
  expirationSeconds = 3600,
): Promise<string> {
  const res = await client.request<{ status: { token: string } }>(
    'POST',
    `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount)}/token`,
    {
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds } },
      attempt: { verb: 'create', group: '', resource: 'serviceaccounts/token', namespace, name: serviceAccount },
    },
  );
  return res.status.token;
}

/** SelfSubjectAccessReview: may this client's identity do it? */
export async function canI(client: KubeClient, q: AccessQuestion): Promise<{ allowed: boolean; reason?: string }> {
  const res = await client.request<{ status?: { allowed?: boolean; reason?: string } }>(
    'POST',
    '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    {
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: q } },
      attempt: { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' },
    },
  );
  return { allowed: res.status?.allowed === true, reason: res.status?.reason };
}

/** SubjectAccessReview: may another user (e.g. a service account) do it? */
export async function canUser(
  client: KubeClient,
  user: string,
  groups: string[],
  q: AccessQuestion,
): Promise<{ allowed: boolean; reason?: string }> {
  const res = await client.request<{ status?: { allowed?: boolean; reason?: string } }>(
    'POST',
    '/apis/authorization.k8s.io/v1/subjectaccessreviews',
    {
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user, groups, resourceAttributes: q },
      },
      attempt: { verb: 'create', group: 'authorization.k8s.io', resource: 'subjectaccessreviews' },
    },
  );
  return { allowed: res.status?.allowed === true, reason: res.status?.reason };
}

/**
 * Kubeconfig loading the way kubectl does it (explicit file, $KUBECONFIG merged, ~/.kube/config,
 * in-cluster), in a few milliseconds: tokens, token files and client certificates are handled here;
 * exec plugins and auth providers are handed to @kubernetes/client-node, loaded only then (it takes
 * most of a second to import, which the CLI cannot afford on every call).
 */
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { Http2Transport } from './http2';

export interface Cluster {
  name: string;
  server: string;
  caData?: string;
  caFile?: string;
  skipTLSVerify?: boolean;
  tlsServerName?: string;
}

export interface User {
  name: string;
  token?: string;
  tokenFile?: string;
  certData?: string;
  certFile?: string;
  keyData?: string;
  keyFile?: string;
  /** exec plugin or auth provider: delegated to @kubernetes/client-node. */
  delegated?: unknown;
}

export interface Context {
  name: string;
  cluster: string;
  user: string;
  namespace?: string;
}

// The kubeconfig file format (v1 Config), the parts read here.
interface RawConfig {
  clusters?: Array<{ name: string; cluster?: Record<string, unknown> }>;
  users?: Array<{ name: string; user?: Record<string, unknown> }>;
  contexts?: Array<{ name: string; context?: Record<string, unknown> }>;
  'current-context'?: string;
}

const str = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
const b64 = (v: unknown) => (str(v) ? Buffer.from(v as string, 'base64').toString('utf8') : undefined);
/** Relative paths in a kubeconfig are relative to the file that holds them. */
const resolve = (file: string | undefined, v: unknown) =>
  str(v)
    ? path.isAbsolute(v as string)
      ? (v as string)
      : path.resolve(path.dirname(file ?? '.'), v as string)
    : undefined;

export class KubeConfig {
  clusters: Cluster[] = [];
  users: User[] = [];
  contexts: Context[] = [];
  currentContext = '';
  /** The raw documents, for the delegated (exec / auth-provider) path. */
  private readonly sources: Array<{ file?: string; raw: RawConfig }> = [];

  /** Adds a kubeconfig file; earlier files win on name clashes and on current-context, as in kubectl. */
  addFile(file: string): void {
    let raw: RawConfig;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`cannot read kubeconfig ${file}: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!text.trim()) throw new Error(`kubeconfig ${file} is empty: log in again (oc login) or pass another file`);
    if (text.includes('\0') || text.includes('\uFFFD'))
      throw new Error(`kubeconfig ${file} is not a text file (binary content): pass the kubeconfig YAML file`);
    try {
      raw = parseYaml(text) as RawConfig;
    } catch (e) {
      throw new Error(`kubeconfig ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw))
      throw new Error(`kubeconfig ${file} is not a kubeconfig (a YAML map with clusters, users and contexts)`);
    this.sources.push({ file, raw });
    const have = <T extends { name: string }>(list: T[], name: string) => list.some((x) => x.name === name);
    for (const c of raw.clusters ?? []) {
      const x = c.cluster ?? {};
      if (!c.name || have(this.clusters, c.name)) continue;
      this.clusters.push({
        name: c.name,
        server: str(x.server) ?? '',
        caData: b64(x['certificate-authority-data']),
        caFile: resolve(file, x['certificate-authority']),
        skipTLSVerify: x['insecure-skip-tls-verify'] === true,
        tlsServerName: str(x['tls-server-name']),
      });
    }
    for (const u of raw.users ?? []) {
      const x = u.user ?? {};
      if (!u.name || have(this.users, u.name)) continue;
      this.users.push({
        name: u.name,
        token: str(x.token),
        tokenFile: resolve(file, x.tokenFile),
        certData: b64(x['client-certificate-data']),
        certFile: resolve(file, x['client-certificate']),
        keyData: b64(x['client-key-data']),
        keyFile: resolve(file, x['client-key']),
        delegated: x.exec ?? x['auth-provider'],
      });
    }
    for (const c of raw.contexts ?? []) {
      const x = c.context ?? {};
      if (!c.name || have(this.contexts, c.name)) continue;
      this.contexts.push({
        name: c.name,
        cluster: str(x.cluster) ?? '',
        user: str(x.user) ?? '',
        namespace: str(x.namespace),
      });
    }
    this.currentContext ||= str(raw['current-context']) ?? '';
  }

  /** $KUBECONFIG (a list, merged), else ~/.kube/config. */
  static fromDefault(env: Record<string, string | undefined> = process.env): KubeConfig {
    const kc = new KubeConfig();
    const files = env.KUBECONFIG
      ? env.KUBECONFIG.split(path.delimiter).filter(Boolean)
      : [path.join(os.homedir(), '.kube', 'config')];
    const existing = files.filter((f) => fs.existsSync(f));
    if (!existing.length) {
      throw new Error(
        `no kubeconfig found (${env.KUBECONFIG ? `KUBECONFIG=${env.KUBECONFIG}` : '~/.kube/config'} does not exist): pass --kubeconfig, set KUBECONFIG, or log in with oc login / kubectl`,
      );
    }
    for (const f of existing) kc.addFile(f);
    return kc;
  }

  static fromFile(file: string): KubeConfig {
    if (!fs.existsSync(file)) throw new Error(`kubeconfig ${file} does not exist`);
    const kc = new KubeConfig();
    kc.addFile(file);
    return kc;
  }

  /** A pod's service account: KUBERNETES_SERVICE_HOST/PORT, and token, CA and namespace files (under a prefix in tests). */
  static fromCluster(prefix = '', env: Record<string, string | undefined> = process.env): KubeConfig {
    const dir = `${prefix}/var/run/secrets/kubernetes.io/serviceaccount`;
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT;
    if (!host || !port)
      throw new Error('not in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set');
    const kc = new KubeConfig();
    const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    kc.clusters.push({ name: 'in-cluster', server, caFile: path.join(dir, 'ca.crt') });
    kc.users.push({ name: 'in-cluster', tokenFile: path.join(dir, 'token') });
    const nsFile = path.join(dir, 'namespace');
    const namespace = fs.existsSync(nsFile) ? fs.readFileSync(nsFile, 'utf8').trim() : undefined;
    kc.contexts.push({ name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace });
    kc.currentContext = 'in-cluster';
    return kc;
  }

  /** The same cluster with another user (a forwarded bearer token). */
  withToken(token: string): KubeConfig {
    const cluster = this.getCurrentCluster();
    if (!cluster) throw new Error('no current cluster in the kubeconfig');
    const kc = new KubeConfig();
    kc.clusters.push(cluster);
    kc.users.push({ name: 'forwarded-user', token });
    kc.contexts.push({ name: 'forwarded', cluster: cluster.name, user: 'forwarded-user' });
    kc.currentContext = 'forwarded';
    return kc;
  }

  getContexts(): Context[] {
    return this.contexts;
  }
  getContextObject(name: string): Context | undefined {
    return this.contexts.find((c) => c.name === name);
  }
  getCurrentContext(): string {
    return this.currentContext;
  }
  setCurrentContext(name: string): void {
    this.currentContext = name;
  }
  getCurrentCluster(): Cluster | undefined {
    const ctx = this.getContextObject(this.currentContext);
    return ctx ? this.clusters.find((c) => c.name === ctx.cluster) : undefined;
  }
  getCurrentUser(): User | undefined {
    const ctx = this.getContextObject(this.currentContext);
    return ctx ? this.users.find((u) => u.name === ctx.user) : undefined;
  }

  private delegate?: Promise<{ applyToHTTPSOptions(o: https.RequestOptions): Promise<void> }>;

  /** TLS and credentials for a request to the API server. */
  async applyToHTTPSOptions(opts: https.RequestOptions): Promise<void> {
    const user = this.getCurrentUser();
    if (user?.delegated) {
      // Exec plugins (EKS, GKE, OIDC helpers) and legacy auth providers: client-node implements them.
      this.delegate ??= this.loadDelegate();
      return (await this.delegate).applyToHTTPSOptions(opts);
    }
    // One TLS context and one keep-alive connection pool per kubeconfig identity: building the
    // context (CA, client certificate) per connection cost a few ms each, paid in series when a run
    // opens its parallel reads.
    const material = this.tlsMaterial();
    this.agent ??= new https.Agent({
      keepAlive: true,
      secureContext: tls.createSecureContext({ ca: material.ca, cert: material.cert, key: material.key }),
      rejectUnauthorized: material.rejectUnauthorized,
    });
    opts.agent = this.agent;
    if (material.servername) opts.servername = material.servername;
    const auth = this.authorization();
    if (auth) opts.headers = { ...(opts.headers as Record<string, string>), Authorization: auth };
  }

  private agent?: https.Agent;

  /** Set by callers that want HTTP/2 (the CLI): see lib/k8s/http2.ts. */
  useHttp2 = false;
  private h2?: Http2Transport;

  /**
   * The HTTP/2 transport for this identity, when asked for and possible: an https server and
   * credentials this class handles itself (exec plugins and auth providers stay on HTTP/1.1).
   */
  http2(): Http2Transport | undefined {
    const server = this.getCurrentCluster()?.server ?? '';
    if (!this.useHttp2 || !server.startsWith('https:') || this.getCurrentUser()?.delegated) return undefined;
    this.h2 ??= new Http2Transport(() => ({ origin: new URL(server).origin, ...this.tlsMaterial() }));
    return this.h2;
  }

  /** The CA, client certificate and TLS settings of the current context (files read now). */
  tlsMaterial(): { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean; servername?: string } {
    const cluster = this.getCurrentCluster();
    const user = this.getCurrentUser();
    return {
      ca: cluster?.caData ?? (cluster?.caFile ? fs.readFileSync(cluster.caFile, 'utf8') : undefined),
      cert: user?.certData ?? (user?.certFile ? fs.readFileSync(user.certFile, 'utf8') : undefined),
      key: user?.keyData ?? (user?.keyFile ? fs.readFileSync(user.keyFile, 'utf8') : undefined),
      rejectUnauthorized: !cluster?.skipTLSVerify,
      servername: cluster?.tlsServerName,
    };
  }

  /** The Authorization header, re-read every time (projected service-account tokens rotate). */
  authorization(): string | undefined {
    const user = this.getCurrentUser();
    const token = user?.token ?? (user?.tokenFile ? fs.readFileSync(user.tokenFile, 'utf8').trim() : undefined);
    return token ? `Bearer ${token}` : undefined;
  }

  private async loadDelegate() {
    const { KubeConfig: ClientNodeConfig } = await import('@kubernetes/client-node');
    const kc = new ClientNodeConfig();
    const files = this.sources.map((s) => s.file).filter((f): f is string => !!f);
    if (files.length === 1) kc.loadFromFile(files[0]!);
    else kc.loadFromDefault();
    kc.setCurrentContext(this.currentContext);
    return kc;
  }
}

// gateway-upstreams: its configuration and what the gateway ConfigMap proxies to (the subject).
import { z } from 'zod';
import type { ConfigOf } from '../../lib/config';
import type { Snapshot } from '../../lib/engine/snapshot';
import type { KObject } from '../../lib/k8s/object';
import { gatewayBase, gatewayLoad, GatewaySection } from '../shared/gateway';
import { type Directive } from '../../lib/nginx';
import { describeLocation, readGatewayConfig, type GatewayConfigView } from '../shared/gateway-config';

/** Where the cluster DNS Service lives: OpenShift's first, then upstream Kubernetes'. */
export const ClusterDnsSection = z
  .object({
    services: z.array(z.object({ namespace: z.string(), name: z.string() })).default([
      { namespace: 'openshift-dns', name: 'dns-default' },
      { namespace: 'kube-system', name: 'kube-dns' },
    ]),
  })
  .prefault({});

export const sections = { gateway: GatewaySection, clusterDns: ClusterDnsSection };
export type Config = ConfigOf<typeof sections>;

/** One upstream address in the config: where it is written and what it names. */
export interface Upstream {
  /** "line 12: location ~ ^/v1/models" */
  location: string;
  address: string;
  host: string;
  port: number;
  /** Resolved per request through `resolver` (the address is in a variable), else at nginx start. */
  runtime: boolean;
  /** The directive holding the address (a `set`, or the `proxy_pass` itself) and which argument. */
  directive: Directive;
  argIndex: number;
}

export interface UpstreamSubject {
  gatewayUrl: string;
  configMap?: KObject;
  deployment?: KObject;
  view?: GatewayConfigView;
  configError?: string;
  resolver?: Directive;
  upstreams: Upstream[];
  /** Service name -> ports, and whether it has a ready endpoint. */
  services: Map<string, { ports: number[]; ready: boolean }>;
  /** The ConfigMap changed after the running gateway started: what it serves is the older config. */
  notLoaded: boolean;
}

export function parseAddress(raw: string): { host: string; port: number } | undefined {
  const withScheme = /^[a-z]+:\/\//.test(raw) ? raw : `http://${raw}`;
  try {
    const u = new URL(withScheme);
    return { host: u.hostname, port: u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80 };
  } catch {
    return undefined;
  }
}

export function upstreamsOf(view: GatewayConfigView): Upstream[] {
  const out: Upstream[] = [];
  for (const loc of view.locations) {
    const block = loc.directive.block ?? [];
    const pass = block.find((d) => d.name === 'proxy_pass');
    const target = pass?.args[0];
    if (!pass || !target) continue;
    const variable = target.match(/\$(\w+)/)?.[1];
    const set = variable ? block.find((d) => d.name === 'set' && d.args[0] === `$${variable}`) : undefined;
    const address = set ? (set.args[1] ?? '') : target;
    if (variable && !set) continue; // set elsewhere (map, server level): not judged
    const parsed = parseAddress(address.replace(/\$\w+/g, ''));
    if (!parsed) continue;
    out.push({
      location: describeLocation(view, loc),
      address,
      ...parsed,
      runtime: !!variable,
      directive: set ?? pass,
      argIndex: set ? 1 : 0,
    });
  }
  return out;
}

export function locateUpstreamSubject(snapshot: Snapshot, config: Config): UpstreamSubject {
  const cm = snapshot.find('configmaps', config.gateway.configMap);
  const raw = cm?.data?.[config.gateway.configKey];
  const read = raw === undefined ? undefined : readGatewayConfig(raw);
  const view = read && 'conf' in read ? read : undefined;
  const services = new Map<string, { ports: number[]; ready: boolean }>();
  const slices = snapshot.list('endpointslices');
  for (const svc of snapshot.list('services')) {
    const name = svc.metadata!.name!;
    const ready = slices
      .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === name)
      .some((s) =>
        ((s.endpoints ?? []) as Array<{ conditions?: { ready?: boolean } }>).some((e) => e.conditions?.ready !== false),
      );
    services.set(name, { ports: ((svc.spec?.ports ?? []) as Array<{ port: number }>).map((p) => p.port), ready });
  }
  const resolver = view
    ? ((view.server?.block ?? []).find((d) => d.name === 'resolver') ??
      (view.http?.block ?? []).find((d) => d.name === 'resolver'))
    : undefined;
  return {
    gatewayUrl: gatewayBase(config),
    configMap: cm,
    deployment: snapshot.find('deployments', config.gateway.deployment),
    view,
    configError:
      read && 'error' in read
        ? read.error
        : raw === undefined
          ? `ConfigMap ${config.gateway.configMap} key ${config.gateway.configKey} not found`
          : undefined,
    resolver,
    upstreams: view ? upstreamsOf(view) : [],
    services,
    notLoaded: gatewayLoad(snapshot, config, cm).notLoaded,
  };
}

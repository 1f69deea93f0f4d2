import type { Snapshot } from '../../lib/engine/snapshot';
import { parseServiceHost } from '../../lib/k8s/names';

/** Where a URL points inside the namespace: the Service it names and the port it uses. */
export interface ServiceTarget {
  url: string;
  service?: string;
  port: number;
  /** Why the URL names no Service of this namespace (external address, another namespace, not a URL). */
  outside?: string;
}

export function serviceTarget(raw: string, namespace: string): ServiceTarget | { invalid: string } {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return { invalid: `"${raw}" is not a URL` };
  }
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const host = parseServiceHost(url.hostname);
  if (!host || (host.namespace && !host.svc && host.namespace !== namespace))
    return { url: raw, port, outside: `${url.hostname} is not a Service name in ${namespace}` };
  if (host.namespace && host.namespace !== namespace)
    return { url: raw, port, outside: `it names namespace ${host.namespace}` };
  return { url: raw, service: host.service, port };
}

/** The URL with its port replaced (the Service's). */
export function withPort(raw: string, port: number): string {
  const url = new URL(raw.trim());
  url.port = String(port);
  return url.toString().replace(/\/$/, raw.trim().endsWith('/') ? '/' : '');
}

/**
 * What a URL in the cluster gets from the Service it names: undefined when the port is one the Service
 * has (or the URL points elsewhere), else why the connection fails. An override
 * (FD_SERVICE_URL_OVERRIDES) stands in for the Service's address only: the port, scheme and path of
 * the URL itself must still work against the Service, or the workload in the cluster cannot connect.
 */
export function servicePortProblem(raw: string, snapshot: Snapshot, namespace: string): string | undefined {
  const t = serviceTarget(raw, namespace);
  if ('invalid' in t) return t.invalid;
  if (t.outside) return undefined;
  const svc = snapshot.find('services', t.service!);
  if (!svc) return `it names Service ${t.service}, which does not exist in ${namespace}`;
  const ports = ((svc.spec?.ports ?? []) as Array<{ port: number }>).map((p) => p.port);
  if (!ports.includes(t.port)) return `port ${t.port} is not a port of Service ${t.service} (${ports.join(', ')})`;
  return undefined;
}

import { z } from 'zod';
import { NAMESPACE_NAME } from './resources';

export const NamespaceSchema = z
  .string()
  .regex(NAMESPACE_NAME, 'must be a valid namespace name (lower-case letters, digits and -, at most 63 characters)');

/** A host name read as a Service: `svc`, `svc.ns`, `svc.ns.svc` or `svc.ns.svc.cluster.local`. */
export interface ServiceHost {
  service: string;
  /** The namespace the name carries (a short name carries none). */
  namespace?: string;
  /** It ends in `.svc` or `.svc.cluster.local` (certainly a Service, not `host.domain`). */
  svc: boolean;
}

const SERVICE_HOST = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.([a-z0-9-]+)(\.svc(\.cluster\.local)?)?)?$/;

/** The Service a host name can stand for; undefined for names of another shape (an external FQDN, an IP). */
export function parseServiceHost(host: string): ServiceHost | undefined {
  const m = host.match(SERVICE_HOST);
  return m ? { service: m[1]!, namespace: m[4], svc: !!m[5] } : undefined;
}

import { z } from 'zod';

/** A namespace name as the API server accepts it: an RFC 1123 label, at most 63 characters. */
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

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

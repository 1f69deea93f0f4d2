import { z } from 'zod';

/** A namespace name as the API server accepts it: an RFC 1123 label, at most 63 characters. */
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const NamespaceSchema = z
  .string()
  .regex(NAMESPACE_NAME, 'must be a valid namespace name (lower-case letters, digits and -, at most 63 characters)');

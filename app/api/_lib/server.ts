import { createHash } from 'node:crypto';
import { NextResponse } from 'next/server';
import { z } from 'zod';
import { CHECKS } from '@/checks';
import type { Doctor } from '@/lib/engine/doctor';
import { createDoctor } from '@/lib/engine/factory';
import { whoAmI, type Identity } from '@/lib/k8s/client';
import { errorMessage, KubeApiError } from '@/lib/k8s/errors';
import { NamespaceSchema } from '@/lib/k8s/names';
import { metrics } from '@/lib/metrics';
import { FixConflictError, FixFailedError } from '@/lib/engine/fix';
import { redactDeep, redactText } from '@/lib/report/redact';

/**
 * The thin route layer's shared parts: one Doctor per process, identity from the login proxy,
 * cross-site protection for state-changing requests, and errors as JSON a person can act on.
 */
const g = globalThis as unknown as { __doctor?: Doctor };

export function doctor(): Doctor {
  try {
    g.__doctor ??= createDoctor({
      registry: CHECKS,
      kubeconfig: process.env.FD_KUBECONFIG,
      context: process.env.FD_CONTEXT,
      metrics,
    });
  } catch (err) {
    // No usable kubeconfig or in-cluster credentials: every cluster route says so (503), and it is
    // tried again on the next request (a mounted secret may appear later).
    throw new HttpError(503, `Flywheel Doctor has no cluster access: ${errorMessage(err)}`);
  }
  return g.__doctor;
}

/** The doctor for the namespace a request asks about (default: the configured one). */
export function doctorFor(namespace: string | null | undefined): Doctor {
  const d = doctor();
  if (!namespace) return d;
  return forNamespace(d, NamespaceSchema.parse(namespace));
}

/** Doctors for other namespaces, most recently used last; bounded, as any valid name can be asked for. */
const perNamespace = new Map<string, Doctor>();
const MAX_NAMESPACES = 32;
function forNamespace(base: Doctor, ns: string): Doctor {
  if (ns === base.config.namespace) return base;
  const d = perNamespace.get(ns) ?? base.withNamespace(ns);
  perNamespace.delete(ns);
  perNamespace.set(ns, d);
  if (perNamespace.size > MAX_NAMESPACES) perNamespace.delete(perNamespace.keys().next().value!);
  return d;
}

/** The caller's identity as forwarded by oauth-proxy (--pass-access-token). */
export function identityFrom(req: Request): Identity {
  const token = req.headers.get('x-forwarded-access-token');
  return token ? { kind: 'token', token } : { kind: 'app' };
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Rejects cross-site and non-JSON state-changing requests; optionally requires a forwarded identity. */
const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;
const listensOnLoopback = () => /^(localhost|127\.|::1$)/.test(process.env.HOSTNAME ?? '0.0.0.0');
const requireLogin = () => process.env.FD_REQUIRE_FORWARDED_IDENTITY === 'true';

/**
 * DNS rebinding: a page on another site whose name resolves to 127.0.0.1 is "same origin" to the
 * browser. Unless every request needs a validated login, only loopback names (and FD_ALLOWED_HOSTS)
 * are served.
 */
export function assertAllowedHost(req: Request): void {
  if (requireLogin()) return;
  const host = req.headers.get('host') ?? '';
  const allowed = (process.env.FD_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const ok = LOOPBACK_HOST.test(host) || allowed.includes(host) || (!allowed.length && !listensOnLoopback());
  if (!ok) {
    throw new HttpError(
      403,
      `requests for host "${host.slice(0, 100)}" are refused (DNS rebinding protection): open Flywheel Doctor at its loopback address, or add the host to FD_ALLOWED_HOSTS`,
    );
  }
}

/** Rejects cross-site, foreign-host and non-JSON state-changing requests; optionally requires a forwarded identity. */
export function assertSafeStateChange(req: Request, opts: { body?: boolean } = {}): void {
  assertAllowedHost(req);
  const site = req.headers.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none')
    throw new HttpError(403, `cross-site request refused (Sec-Fetch-Site: ${site}); use the dashboard or the CLI`);
  const origin = req.headers.get('origin');
  if (origin) {
    const host = req.headers.get('x-forwarded-host') ?? req.headers.get('host');
    let originHost = '';
    try {
      originHost = new URL(origin).host;
    } catch {
      /* malformed */
    }
    if (!host || originHost !== host)
      throw new HttpError(
        403,
        `cross-origin request refused (Origin ${origin.slice(0, 200)} does not match ${host?.slice(0, 200) ?? 'the host'})`,
      );
  }
  const ct = req.headers.get('content-type') ?? '';
  if (opts.body !== false && !/^application\/json\b/i.test(ct))
    throw new HttpError(415, 'send the request body as application/json');
  if (requireLogin() && !req.headers.get('x-forwarded-access-token')) {
    throw new HttpError(
      401,
      'this deployment requires a logged-in user: open Flywheel Doctor through its Route (oauth-proxy), not the Service directly',
    );
  }
}

/**
 * Every read of cluster data (runs, reports and their downloads, history, jobs, context, fix
 * permissions): allowed hosts only (DNS rebinding) and, where every request must be logged in, a
 * validated login. Public without login: /api/healthz, /api/readyz, the check list, and
 * /api/metrics for the scraper (counts per check and code, no cluster text).
 */
export async function reader(req: Request, namespace?: string | null): Promise<{ d: Doctor; identity: Identity }> {
  assertAllowedHost(req);
  if (requireLogin() && !req.headers.get('x-forwarded-access-token'))
    throw new HttpError(
      401,
      'this deployment requires a logged-in user: open Flywheel Doctor through its Route (oauth-proxy), not the Service directly',
    );
  const d = doctorFor(namespace);
  return { d, identity: await callerIdentity(req, d) };
}

const validTokens = new Map<string, number>(); // sha256(token) -> valid until (ms)

/**
 * The caller's identity, validated: a forwarded token counts only once the API server accepts it
 * (SelfSubjectReview with that token; cached for a minute). Without a token: the app's identity,
 * which may change the cluster only when the server listens on loopback (or is told it may).
 */
export async function callerIdentity(
  req: Request,
  d: Doctor,
  opts: { changesCluster?: boolean } = {},
): Promise<Identity> {
  const identity = identityFrom(req);
  if (identity.kind === 'token') {
    const key = createHash('sha256').update(identity.token).digest('hex');
    if ((validTokens.get(key) ?? 0) < Date.now()) {
      try {
        await whoAmI(d.client(identity));
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 0) throw err; // the cluster is down, not the token
        throw new HttpError(
          401,
          'the forwarded login is not valid for this cluster (expired or not a token): log in again',
        );
      }
      validTokens.set(key, Date.now() + 60_000);
      if (validTokens.size > 1000) validTokens.delete(validTokens.keys().next().value!);
    }
    return identity;
  }
  if (opts.changesCluster && !listensOnLoopback() && process.env.FD_ALLOW_APP_IDENTITY_FIXES !== 'true') {
    throw new HttpError(
      401,
      'changing the cluster needs a logged-in user when Flywheel Doctor listens beyond loopback (put it behind oauth-proxy, or set FD_ALLOW_APP_IDENTITY_FIXES=true to let its own identity do it)',
    );
  }
  return identity;
}

/** Request bodies are small JSON documents; anything larger is refused before it is read whole. */
export const MAX_BODY_BYTES = 64 * 1024;

export async function parseJson<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T>> {
  let body: unknown;
  const declared = Number(req.headers.get('content-length') ?? 0);
  if (declared > MAX_BODY_BYTES)
    throw new HttpError(413, `request body too large (${declared} bytes; at most ${MAX_BODY_BYTES})`);
  let text: string;
  try {
    text = await readBounded(req);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    throw new HttpError(400, 'the request body could not be read');
  }
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new HttpError(400, 'the request body is not valid JSON');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.').slice(0, 80) || 'body'}: ${i.message.slice(0, 200)}`);
    throw new HttpError(400, `invalid request: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/** Reads a body up to MAX_BODY_BYTES (413 beyond, also when no Content-Length was sent). */
async function readBounded(req: Request): Promise<string> {
  if (!req.body) return '';
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw new HttpError(413, `request body too large (over ${MAX_BODY_BYTES} bytes)`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Any error as `{ error, status }` JSON; never a stack trace. */
export function errorResponse(err: unknown): NextResponse {
  let status = 500;
  if (err instanceof HttpError) status = err.status;
  else if (err instanceof z.ZodError) status = 400;
  else if (err instanceof FixConflictError) status = 409;
  else if (err instanceof FixFailedError) status = err.status >= 400 && err.status < 600 ? err.status : 500;
  else if (err instanceof KubeApiError) status = err.status >= 400 ? err.status : 502;
  else if ((err as { status?: number }).status) status = (err as { status: number }).status;
  const message = err instanceof z.ZodError ? err.issues.map((i) => i.message).join('; ') : errorMessage(err);
  // Logs never carry unbounded input.
  if (status >= 500) console.error(`[flywheel-doctor] ${redactText(message.slice(0, 2000), 'log', [])}`);
  return respond(
    {
      error: message,
      status,
      ...(err instanceof FixFailedError ? { steps: err.steps } : {}),
      ...(err instanceof FixConflictError && err.plan ? { plan: err.plan } : {}),
    },
    { status },
  );
}

/**
 * The one way JSON leaves the server: every string masked (runs, plans, outcomes, reports, errors,
 * streamed lines), since pod logs, env values and configs may carry credentials.
 */
export function respond(data: unknown, init?: ResponseInit): NextResponse {
  return NextResponse.json(redactDeep(data), init);
}

/** One line of an NDJSON stream, masked like every other response. */
export function ndjsonLine(data: unknown): string {
  return JSON.stringify(redactDeep(data)) + '\n';
}

export async function handle(fn: () => Promise<Response>): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    return errorResponse(err);
  }
}

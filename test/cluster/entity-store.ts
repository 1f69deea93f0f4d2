/**
 * A stand-in for the NeMo Entity Store (the part of its HTTP API the Data Flywheel stack uses,
 * real-stack.md §2): namespaces and models, FastAPI-style errors, records kept in a JSON file so
 * they survive a restart. The node agent runs it as the backend of the Entity Store Service and
 * the real nginx gateway proxies to it.
 *
 *   tsx test/cluster/entity-store.ts --port 19080 --data .cluster/sim/entity-store/flywheel.json
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const NAMESPACE_ID = /^[\w\-.]+$/;
const MODEL_NAME = /^[\w\-.@:+]+$/;
const ARTIFACT_STATUS = ['created', 'upload_completed', 'upload_failed'];
const MAX_BODY = 256 * 1024;

type NamespaceRecord = Record<string, unknown> & {
  id: string;
  created_at: string;
  updated_at: string;
};
type ModelRecord = Record<string, unknown> & {
  name: string;
  namespace: string;
  created_at: string;
  updated_at: string;
};
interface StoreData {
  namespaces: Record<string, NamespaceRecord>;
  models: Record<string, ModelRecord>;
}

/** One FastAPI-style validation problem: where in the body, and what is wrong. */
interface FieldError {
  type: string;
  loc: Array<string | number>;
  msg: string;
}

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(typeof detail === 'string' ? detail : `HTTP ${status}`);
  }
}

const invalid = (errors: FieldError[]) => new HttpProblem(422, errors);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function requireString(body: Record<string, unknown>, key: string, pattern: RegExp, errors: FieldError[]) {
  const v = body[key];
  if (v === undefined) errors.push({ type: 'missing', loc: ['body', key], msg: 'Field required' });
  else if (typeof v !== 'string')
    errors.push({ type: 'string_type', loc: ['body', key], msg: 'Input should be a valid string' });
  else if (!pattern.test(v))
    errors.push({
      type: 'string_pattern_mismatch',
      loc: ['body', key],
      msg: `String should match pattern '${pattern.source}'`,
    });
}

/** Sub-fields the SDK's create types mark Required when their object is given (ModelSpec, ModelArtifact, APIEndpointData). */
const REQUIRED_WITHIN: Record<string, string[]> = {
  spec: ['context_size', 'is_chat', 'num_parameters', 'num_virtual_tokens'],
  artifact: ['files_url', 'status'],
  api_endpoint: ['model_id', 'url'],
};

function checkOptionalFields(body: Record<string, unknown>, errors: FieldError[]) {
  for (const [key, required] of Object.entries(REQUIRED_WITHIN)) {
    const v = body[key];
    if (isObject(v))
      for (const f of required)
        if (v[f] === undefined) errors.push({ type: 'missing', loc: ['body', key, f], msg: 'Field required' });
  }
  if (body.custom_fields !== undefined && !isObject(body.custom_fields))
    errors.push({ type: 'dict_type', loc: ['body', 'custom_fields'], msg: 'Input should be a valid dictionary' });
  if (body.base_model !== undefined && typeof body.base_model !== 'string' && !isObject(body.base_model))
    errors.push({
      type: 'union_type',
      loc: ['body', 'base_model'],
      msg: 'Input should be a valid string or a valid dictionary',
    });
  for (const key of ['description', 'project']) {
    if (body[key] !== undefined && typeof body[key] !== 'string')
      errors.push({ type: 'string_type', loc: ['body', key], msg: 'Input should be a valid string' });
  }
  const spec = body.spec;
  if (spec !== undefined) {
    if (!isObject(spec)) errors.push({ type: 'model_type', loc: ['body', 'spec'], msg: 'Input should be an object' });
    else {
      for (const key of ['num_parameters', 'context_size', 'num_virtual_tokens'])
        if (spec[key] !== undefined && !(Number.isInteger(spec[key]) && (spec[key] as number) >= 0))
          errors.push({ type: 'int_type', loc: ['body', 'spec', key], msg: 'Input should be a non-negative integer' });
      if (spec.is_chat !== undefined && typeof spec.is_chat !== 'boolean')
        errors.push({ type: 'bool_type', loc: ['body', 'spec', 'is_chat'], msg: 'Input should be a valid boolean' });
    }
  }
  const artifact = body.artifact;
  if (artifact !== undefined) {
    if (!isObject(artifact))
      errors.push({ type: 'model_type', loc: ['body', 'artifact'], msg: 'Input should be an object' });
    else {
      if (artifact.status !== undefined && !ARTIFACT_STATUS.includes(artifact.status as string))
        errors.push({
          type: 'enum',
          loc: ['body', 'artifact', 'status'],
          msg: `Input should be ${ARTIFACT_STATUS.map((s) => `'${s}'`).join(', ')}`,
        });
      for (const key of ['files_url', 'gpu_arch', 'precision', 'backend_engine'])
        if (artifact[key] !== undefined && typeof artifact[key] !== 'string')
          errors.push({ type: 'string_type', loc: ['body', 'artifact', key], msg: 'Input should be a valid string' });
    }
  }
  const endpoint = body.api_endpoint;
  if (endpoint !== undefined) {
    if (!isObject(endpoint) || typeof endpoint.url !== 'string' || typeof endpoint.model_id !== 'string')
      errors.push({
        type: 'model_type',
        loc: ['body', 'api_endpoint'],
        msg: 'Input should be an object with string url and model_id',
      });
  }
}

const MODEL_FIELDS = [
  'description',
  'project',
  'spec',
  'artifact',
  'api_endpoint',
  'base_model',
  'custom_fields',
  'peft',
  'prompt',
  'guardrails',
  'model_providers',
  'ownership',
];

let sequence = 0;
/** An id in the platform's shape (`<kind>-<random>`), unique within the process. */
const generatedId = (kind: string) =>
  `${kind}-${Date.now().toString(36)}${(sequence++).toString(36)}${Math.random().toString(36).slice(2, 8)}`;

export class EntityStore {
  private data: StoreData;

  constructor(private readonly file: string) {
    this.data = EntityStore.load(file);
  }

  private static load(file: string): StoreData {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StoreData>;
      return { namespaces: parsed.namespaces ?? {}, models: parsed.models ?? {} };
    } catch {
      return { namespaces: {}, models: {} };
    }
  }

  /** Written whole to a temporary file and renamed, so a kill mid-write never leaves half a file. */
  private save() {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    fs.renameSync(tmp, this.file);
  }

  handle(method: string, url: URL, body: unknown): { status: number; body: unknown } {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (method === 'GET' && url.pathname === '/health') return { status: 200, body: { status: 'healthy' } };
    if (parts[0] !== 'v1') throw new HttpProblem(404, 'Not Found');
    const [, collection, ns, name, ...rest] = parts;
    if (rest.length) throw new HttpProblem(404, 'Not Found');
    if (collection === 'namespaces') {
      if (name !== undefined) throw new HttpProblem(404, 'Not Found');
      if (ns === undefined) {
        if (method === 'GET') return { status: 200, body: page(Object.values(this.data.namespaces), url) };
        if (method === 'POST') return { status: 201, body: this.createNamespace(body) };
      } else {
        const rec = this.data.namespaces[ns];
        if (!rec) throw new HttpProblem(404, `Namespace ${ns} not found`);
        if (method === 'GET') return { status: 200, body: rec };
        if (method === 'PATCH') return { status: 200, body: this.patchNamespace(ns, body) };
        if (method === 'DELETE') {
          delete this.data.namespaces[ns];
          this.save();
          return { status: 200, body: { message: 'Resource deleted successfully.', id: ns } };
        }
      }
      throw new HttpProblem(405, 'Method Not Allowed');
    }
    if (collection === 'models') {
      if (ns === undefined) {
        if (method === 'GET') {
          const only = url.searchParams.get('filter[namespace]');
          const all = Object.values(this.data.models).filter((m) => !only || m.namespace === only);
          return { status: 200, body: page(all, url) };
        }
        if (method === 'POST') return { status: 201, body: this.createModel(body) };
        throw new HttpProblem(405, 'Method Not Allowed');
      }
      if (name === undefined) throw new HttpProblem(404, 'Not Found');
      const key = `${ns}/${name}`;
      const rec = this.data.models[key];
      if (!rec) throw new HttpProblem(404, `Model ${key} not found`);
      if (method === 'GET') return { status: 200, body: rec };
      if (method === 'PATCH') return { status: 200, body: this.patchModel(key, body) };
      if (method === 'DELETE') {
        delete this.data.models[key];
        this.save();
        return { status: 200, body: { message: 'Resource deleted successfully.', id: key } };
      }
      throw new HttpProblem(405, 'Method Not Allowed');
    }
    throw new HttpProblem(404, 'Not Found');
  }

  private createNamespace(body: unknown): NamespaceRecord {
    if (!isObject(body)) throw invalid([{ type: 'model_type', loc: ['body'], msg: 'Input should be an object' }]);
    const errors: FieldError[] = [];
    // The SDK makes every field optional; an id that is given must be valid.
    if (body.id !== undefined) requireString(body, 'id', NAMESPACE_ID, errors);
    for (const key of ['description', 'project'])
      if (body[key] !== undefined && typeof body[key] !== 'string')
        errors.push({ type: 'string_type', loc: ['body', key], msg: 'Input should be a valid string' });
    if (body.custom_fields !== undefined && !isObject(body.custom_fields))
      errors.push({ type: 'dict_type', loc: ['body', 'custom_fields'], msg: 'Input should be a valid dictionary' });
    if (errors.length) throw invalid(errors);
    const id = (body.id as string | undefined) ?? generatedId('namespace');
    if (this.data.namespaces[id]) throw new HttpProblem(409, `Namespace ${id} already exists`);
    const now = new Date().toISOString();
    const rec: NamespaceRecord = { id, created_at: now, updated_at: now, custom_fields: {} };
    for (const f of ['description', 'project', 'custom_fields', 'ownership'])
      if (body[f] !== undefined) rec[f] = body[f];
    this.data.namespaces[id] = rec;
    this.save();
    return rec;
  }

  private patchNamespace(id: string, body: unknown): NamespaceRecord {
    if (!isObject(body)) throw invalid([{ type: 'model_type', loc: ['body'], msg: 'Input should be an object' }]);
    const errors: FieldError[] = [];
    if (body.id !== undefined && body.id !== id)
      errors.push({ type: 'frozen_field', loc: ['body', 'id'], msg: 'id cannot be changed; create another namespace' });
    if (body.custom_fields !== undefined && !isObject(body.custom_fields))
      errors.push({ type: 'dict_type', loc: ['body', 'custom_fields'], msg: 'Input should be a valid dictionary' });
    if (errors.length) throw invalid(errors);
    const rec = this.data.namespaces[id]!;
    for (const f of ['description', 'project', 'custom_fields', 'ownership'])
      if (body[f] !== undefined) rec[f] = body[f];
    rec.updated_at = new Date().toISOString();
    this.save();
    return rec;
  }

  private createModel(body: unknown): ModelRecord {
    if (!isObject(body)) throw invalid([{ type: 'model_type', loc: ['body'], msg: 'Input should be an object' }]);
    const errors: FieldError[] = [];
    // Both optional in the SDK: namespace "default", name the generated id.
    if (body.name !== undefined) requireString(body, 'name', MODEL_NAME, errors);
    if (body.namespace !== undefined) requireString(body, 'namespace', NAMESPACE_ID, errors);
    checkOptionalFields(body, errors);
    if (errors.length) throw invalid(errors);
    const id = generatedId('model');
    const namespace = (body.namespace as string | undefined) ?? 'default';
    const name = (body.name as string | undefined) ?? id;
    const key = `${namespace}/${name}`;
    if (this.data.models[key]) throw new HttpProblem(409, `Model ${key} already exists`);
    const now = new Date().toISOString();
    const rec: ModelRecord = {
      name,
      namespace,
      id,
      created_at: now,
      updated_at: now,
      project: '',
      custom_fields: {},
    };
    for (const f of MODEL_FIELDS) if (body[f] !== undefined) rec[f] = body[f];
    this.data.models[key] = rec;
    this.save();
    return rec;
  }

  private patchModel(key: string, body: unknown): ModelRecord {
    if (!isObject(body)) throw invalid([{ type: 'model_type', loc: ['body'], msg: 'Input should be an object' }]);
    const errors: FieldError[] = [];
    for (const f of ['name', 'namespace'])
      if (body[f] !== undefined)
        errors.push({
          type: 'frozen_field',
          loc: ['body', f],
          msg: `${f} cannot be changed; delete and register again`,
        });
    checkOptionalFields(body, errors);
    if (errors.length) throw invalid(errors);
    const rec = this.data.models[key]!;
    for (const f of MODEL_FIELDS) if (body[f] !== undefined) rec[f] = body[f];
    rec.updated_at = new Date().toISOString();
    this.save();
    return rec;
  }
}

/**
 * One page of a collection. A page past the end is empty (never the last page again): clients,
 * the SDK's pager among them, ask for page + 1 until `data` comes back empty.
 */
function page<T>(items: T[], url: URL) {
  const size = Math.min(Math.max(Number(url.searchParams.get('page_size')) || 10, 1), 1000);
  const total = Math.max(Math.ceil(items.length / size), 1);
  const current = Math.max(Number(url.searchParams.get('page')) || 1, 1);
  const data = items.slice((current - 1) * size, current * size);
  return {
    object: 'list',
    data,
    pagination: {
      page: current,
      page_size: size,
      current_page_size: data.length,
      total_pages: total,
      total_results: items.length,
    },
  };
}

/** The HTTP server around a store: JSON in, JSON out, every error as `{"detail": ...}`. */
export function entityStoreServer(store: EntityStore): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      try {
        if (size > MAX_BODY) throw new HttpProblem(413, 'Request body too large');
        let body: unknown;
        if (chunks.length) {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            throw invalid([{ type: 'json_invalid', loc: ['body'], msg: 'JSON decode error' }]);
          }
        }
        const out = store.handle(req.method ?? 'GET', new URL(req.url ?? '/', 'http://entity-store'), body);
        send(out.status, out.body);
      } catch (e) {
        if (e instanceof HttpProblem) send(e.status, { detail: e.detail });
        else send(500, { detail: 'Internal Server Error' });
      }
    });
  });
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (require.main === module) {
  const port = Number(arg('--port'));
  const file = arg('--data');
  if (!port || !file) {
    process.stderr.write('usage: entity-store.ts --port N --data FILE\n');
    process.exit(2);
  }
  const server = entityStoreServer(new EntityStore(file));
  server.listen(port, '127.0.0.1', () => process.stdout.write(`entity store listening on 127.0.0.1:${port}\n`));
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

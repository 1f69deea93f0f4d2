import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntityStore, entityStoreServer } from './entity-store';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fd-entity-store-'));
const file = path.join(dir, 'store.json');
let server: ReturnType<typeof entityStoreServer>;
let base = '';

async function call(method: string, p: string, body?: unknown) {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function start() {
  server = entityStoreServer(new EntityStore(file));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(start);
afterAll(() => {
  server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const model = {
  name: 'llama-3.2-1b-instruct',
  namespace: 'meta',
  spec: { num_parameters: 1000000000, context_size: 8192, is_chat: true, num_virtual_tokens: 0 },
  artifact: { status: 'upload_completed', files_url: 'nim://meta/llama-3.2-1b-instruct' },
};

describe('Entity Store stand-in', () => {
  it('answers /health', async () => {
    expect(await call('GET', '/health')).toEqual({ status: 200, body: { status: 'healthy' } });
  });

  it('creates namespaces once (201, then 409) and lists them', async () => {
    expect((await call('POST', '/v1/namespaces', { id: 'flywheel' })).status).toBe(201);
    expect((await call('POST', '/v1/namespaces', { id: 'flywheel' })).status).toBe(409);
    const list = await call('GET', '/v1/namespaces');
    expect(list.body.data).toEqual([expect.objectContaining({ id: 'flywheel' })]);
  });

  it.each([
    // What the SDK's create types require once the object is given.
    ['a partial spec', { ...model, spec: { context_size: 8192 } }, 'is_chat', 'missing'],
    ['an empty artifact', { ...model, artifact: {} }, 'files_url', 'missing'],
    ['a base_model that is a number', { ...model, base_model: 3 }, 'base_model', 'union_type'],
    ['empty namespace', { name: 'x', namespace: '' }, 'namespace', 'string_pattern_mismatch'],
    ['namespace with a slash', { name: 'x', namespace: 'a/b' }, 'namespace', 'string_pattern_mismatch'],
    ['name with a slash', { name: 'a/b', namespace: 'meta' }, 'name', 'string_pattern_mismatch'],
    ['spec not an object', { ...model, spec: 3 }, 'spec', 'model_type'],
    ['negative context size', { ...model, spec: { context_size: -1 } }, 'context_size', 'int_type'],
    ['unknown artifact status', { ...model, artifact: { status: 'done' } }, 'status', 'enum'],
    ['api_endpoint without model_id', { ...model, api_endpoint: { url: 'http://x' } }, 'api_endpoint', 'model_type'],
  ])('refuses a model with %s (422 naming the field)', async (_what, body, field, type) => {
    const res = await call('POST', '/v1/models', body);
    expect(res.status).toBe(422);
    expect(res.body.detail).toEqual(
      expect.arrayContaining([expect.objectContaining({ type, loc: expect.arrayContaining([field]) })]),
    );
  });

  it('takes name and namespace as optional, as the SDK does: namespace "default", name the generated id', async () => {
    const res = await call('POST', '/v1/models', { description: 'no name' });
    expect(res.status).toBe(201);
    expect(res.body.namespace).toBe('default');
    expect(res.body.name).toBe(res.body.id);
    expect((await call('GET', `/v1/models/default/${res.body.name}`)).status).toBe(200);
    expect((await call('DELETE', `/v1/models/default/${res.body.name}`)).status).toBe(200);
  });

  it('answers a page past the end with no data (the SDK pages until data is empty)', async () => {
    for (const n of ['a', 'b', 'c']) await call('POST', '/v1/models', { ...model, name: `pg-${n}` });
    const pages = [1, 2, 3, 4].map((p) => call('GET', `/v1/models?page_size=1&page=${p}`));
    const bodies = await Promise.all(pages);
    expect(bodies.map((b) => (b.body.data as Array<{ name: string }>).map((m) => m.name))).toEqual([
      ['pg-a'],
      ['pg-b'],
      ['pg-c'],
      [],
    ]);
    expect(bodies[3]!.body.pagination).toMatchObject({ page: 4, total_pages: 3, current_page_size: 0 });
    for (const n of ['a', 'b', 'c']) await call('DELETE', `/v1/models/meta/pg-${n}`);
  });

  it('keeps custom_fields and project on namespaces', async () => {
    const res = await call('POST', '/v1/namespaces', { id: 'custom', custom_fields: { team: 'ml' }, project: 'p' });
    expect(res.body).toMatchObject({ id: 'custom', custom_fields: { team: 'ml' }, project: 'p' });
    expect((await call('GET', '/v1/namespaces/custom')).body.custom_fields).toEqual({ team: 'ml' });
    await call('DELETE', '/v1/namespaces/custom');
  });

  it('refuses a body that is not JSON (422)', async () => {
    expect((await call('POST', '/v1/models', '{nope')).status).toBe(422);
  });

  it('registers a model (201), refuses it again (409), reads, patches, lists and deletes it', async () => {
    expect((await call('GET', '/v1/models/meta/llama-3.2-1b-instruct')).status).toBe(404);
    const created = await call('POST', '/v1/models', model);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: model.name, namespace: 'meta' });
    expect((await call('POST', '/v1/models', model)).status).toBe(409);
    expect((await call('GET', '/v1/models/meta/llama-3.2-1b-instruct')).body).toMatchObject(model);
    const patched = await call('PATCH', '/v1/models/meta/llama-3.2-1b-instruct', {
      api_endpoint: { url: 'http://nim:8000/v1', model_id: 'meta/llama-3.2-1b-instruct', format: 'nim' },
    });
    expect(patched.status).toBe(200);
    expect((await call('PATCH', '/v1/models/meta/llama-3.2-1b-instruct', { namespace: 'x' })).status).toBe(422);
    const list = await call('GET', '/v1/models?page_size=1');
    expect(list.body.pagination).toMatchObject({ total_results: 1, total_pages: 1 });
    expect((await call('DELETE', '/v1/models/meta/llama-3.2-1b-instruct')).status).toBe(200);
    expect((await call('GET', '/v1/models/meta/llama-3.2-1b-instruct')).status).toBe(404);
  });

  it('keeps its records across a restart (file-backed)', async () => {
    expect((await call('POST', '/v1/models', { name: 'judge', namespace: 'meta' })).status).toBe(201);
    await new Promise((r) => server.close(r));
    await start();
    expect((await call('GET', '/v1/models/meta/judge')).status).toBe(200);
    expect((await call('GET', '/v1/namespaces')).body.data).toEqual([expect.objectContaining({ id: 'flywheel' })]);
  });

  it('answers unknown paths and methods with a JSON detail', async () => {
    expect(await call('GET', '/v2/x')).toEqual({ status: 404, body: { detail: 'Not Found' } });
    expect((await call('PUT', '/v1/models')).status).toBe(405);
  });
});

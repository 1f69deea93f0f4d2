/**
 * Stand-ins for the NeMo services the flywheel calls through the gateway besides the Entity Store
 * (real-stack.md §5, flywheel-jobs.md), so a broken resolver or upstream for any of them is a
 * failing, fixable scenario:
 * - `data-store`: `POST /v1/datastore/namespaces` (form field `namespace`, as the flywheel's data
 *   upload sends it, or JSON) 201 then 409, `GET` the list or one, `DELETE`; records in a JSON file;
 * - `customizer`: `GET /v1/customization/configs` and `/jobs` (empty lists);
 * - `evaluator`: `GET /v1/evaluation/jobs`, `/targets` and `/configs` (empty lists);
 * - each: `GET /health` and `/v1/health/ready`.
 *
 *   tsx test/cluster/platform-services.ts --kind data-store --port 19380 --data .cluster/sim/data-store/flywheel.json
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

export type PlatformKind = 'data-store' | 'customizer' | 'evaluator';

const LISTS: Record<PlatformKind, string[]> = {
  'data-store': [],
  customizer: ['/v1/customization/configs', '/v1/customization/jobs'],
  evaluator: ['/v1/evaluation/jobs', '/v1/evaluation/targets', '/v1/evaluation/configs'],
};

const emptyPage = () => ({
  object: 'list',
  data: [],
  pagination: { page: 1, page_size: 10, current_page_size: 0, total_pages: 1, total_results: 0 },
});

function readNamespaces(file: string): Record<string, { namespace: string; created_at: string }> {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return {};
  }
}

function writeNamespaces(file: string, data: Record<string, unknown>) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(data, null, 2));
  fs.renameSync(tmp, file);
}

/** The namespace a create names: form-encoded (the flywheel) or JSON (other clients). */
function namespaceOf(body: string, contentType: string): string | undefined {
  if (/json/i.test(contentType)) {
    try {
      const v = (JSON.parse(body) as { namespace?: unknown }).namespace;
      return typeof v === 'string' ? v : undefined;
    } catch {
      return undefined;
    }
  }
  return new URLSearchParams(body).get('namespace') ?? undefined;
}

export function platformServer(kind: PlatformKind, dataFile: string): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const p = url.pathname.replace(/\/$/, '');
      if (req.method === 'GET' && (p === '/health' || p === '/v1/health/ready'))
        return send(200, { status: 'healthy' });
      if (kind !== 'data-store') {
        if (req.method === 'GET' && LISTS[kind].includes(p)) return send(200, emptyPage());
        return send(404, { detail: 'Not Found' });
      }
      const namespaces = readNamespaces(dataFile);
      if (p === '/v1/datastore/namespaces') {
        if (req.method === 'GET') return send(200, { namespaces: Object.values(namespaces) });
        if (req.method === 'POST') {
          const ns = namespaceOf(Buffer.concat(chunks).toString('utf8'), req.headers['content-type'] ?? '');
          if (!ns || !/^[\w\-.]+$/.test(ns))
            return send(422, { detail: [{ type: 'missing', loc: ['body', 'namespace'], msg: 'Field required' }] });
          if (namespaces[ns]) return send(409, { detail: `Namespace ${ns} already exists` });
          namespaces[ns] = { namespace: ns, created_at: new Date().toISOString() };
          writeNamespaces(dataFile, namespaces);
          return send(201, namespaces[ns]);
        }
        return send(405, { detail: 'Method Not Allowed' });
      }
      const one = p.match(/^\/v1\/datastore\/namespaces\/([^/]+)$/)?.[1];
      if (one) {
        const ns = decodeURIComponent(one);
        if (!namespaces[ns]) return send(404, { detail: `Namespace ${ns} not found` });
        if (req.method === 'GET') return send(200, namespaces[ns]);
        if (req.method === 'DELETE') {
          delete namespaces[ns];
          writeNamespaces(dataFile, namespaces);
          return send(200, { message: 'deleted' });
        }
        return send(405, { detail: 'Method Not Allowed' });
      }
      return send(404, { detail: 'Not Found' });
    });
  });
}

if (process.argv[1] && /platform-services\.ts$/.test(process.argv[1])) {
  const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
  platformServer(arg('--kind') as PlatformKind, arg('--data') ?? '/dev/null').listen(
    Number(arg('--port')),
    '127.0.0.1',
  );
  process.once('SIGTERM', () => process.exit(0));
}

/**
 * A stand-in for a NIM's OpenAI-compatible model list, the one call the Data Flywheel makes to
 * `nim_base_url` before it evaluates (`GET /v1/models` every 30 s until `data[].id` holds the model):
 * `GET /v1/models` lists the ids in the models file (read on every request, so a test can change
 * them), `GET /v1/health/ready` answers 200. The node agent runs it for the NIM's Deployment.
 *
 *   tsx test/cluster/nim.ts --port 17080 --models .cluster/sim/nim/flywheel.json
 */
import fs from 'node:fs';
import http from 'node:http';

function served(file: string): string[] {
  try {
    const ids = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(ids) ? ids.filter((i): i is string => typeof i === 'string') : [];
  } catch {
    return [];
  }
}

export function nimServer(modelsFile: string): http.Server {
  const started = Math.floor(Date.now() / 1000);
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://nim');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { detail: 'Method Not Allowed' });
    if (url.pathname === '/v1/health/ready' || url.pathname === '/v1/health/live')
      return send(200, { object: 'health.response', message: 'Service is ready.' });
    if (url.pathname === '/v1/models')
      return send(200, {
        object: 'list',
        data: served(modelsFile).map((id) => ({ id, object: 'model', created: started, owned_by: 'system', root: id })),
      });
    return send(404, { detail: 'Not Found' });
  });
}

if (process.argv[1] && /nim\.ts$/.test(process.argv[1])) {
  const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
  const port = Number(arg('--port'));
  nimServer(arg('--models')!).listen(port, '127.0.0.1');
  process.once('SIGTERM', () => process.exit(0));
}

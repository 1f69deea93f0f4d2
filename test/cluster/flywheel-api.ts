/**
 * A stand-in for the Data Flywheel's job API (flywheel-jobs.md): the read paths the doctor uses,
 * `GET /api/jobs` (the list) and `GET /api/jobs/{id}` (a job's detail; 400 for an id that is not an
 * ObjectId, 404 `{"detail": "Job not found"}`), and `GET /openapi.json` for liveness. The jobs are the
 * scenario's (test/cluster/fixtures/flywheel-jobs.ts, named in the jobs file the seed writes), timed
 * relative to each request. It never creates, cancels or deletes a job: neither does the doctor.
 *
 *   tsx test/cluster/flywheel-api.ts --port 19830 --jobs .cluster/sim/flywheel-api/flywheel.json
 */
import fs from 'node:fs';
import http from 'node:http';
import { jobRecord, type JobFixture } from './fixtures/flywheel-jobs';

function fixtures(file: string): JobFixture[] {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return Array.isArray(v) ? (v as JobFixture[]) : [];
  } catch {
    return [];
  }
}

export function flywheelApiServer(jobsFile: string): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://df-api');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET') return send(405, { detail: 'Method Not Allowed' });
    if (url.pathname === '/openapi.json') return send(200, { openapi: '3.1.0', info: { title: 'Data Flywheel API' } });
    const now = Date.now();
    const jobs = fixtures(jobsFile).map((f) => jobRecord(f, now));
    if (url.pathname === '/api/jobs')
      return send(200, {
        jobs: jobs.map(({ id, workload_id, client_id, status, started_at, finished_at, datasets, error }) => ({
          id,
          workload_id,
          client_id,
          status,
          started_at,
          finished_at,
          datasets,
          error,
        })),
      });
    const id = url.pathname.match(/^\/api\/jobs\/([^/]+)$/)?.[1];
    if (id) {
      if (!/^[0-9a-f]{24}$/.test(id)) return send(400, { detail: `Invalid job ID format: ${id}` });
      const job = jobs.find((j) => j.id === id);
      return job ? send(200, job) : send(404, { detail: 'Job not found' });
    }
    return send(404, { detail: 'Not Found' });
  });
}

if (process.argv[1] && /flywheel-api\.ts$/.test(process.argv[1])) {
  const arg = (name: string) => process.argv[process.argv.indexOf(name) + 1];
  flywheelApiServer(arg('--jobs')!).listen(Number(arg('--port')), '127.0.0.1');
  process.once('SIGTERM', () => process.exit(0));
}

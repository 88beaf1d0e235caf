import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One job as the stand-in plays it: the states it goes through, one per poll, last one sticks. */
export interface ScriptedJob {
  id: string;
  repository: string;
  steps: { state: string; blobsDone: number; blobsTotal: number; bytesDone: number; bytesTotal: number; failedReason?: string }[];
}

export interface RecordedRequest {
  method: string;
  url: string;
  authorization?: string;
  body?: unknown;
}

export interface ReplicationAdminStandIn {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server answering like the gateway's replication admin API (the contract the
 * `jobs` work implements): `POST /admin/v1/replication/run` `{rule}` or `{repository}` answers
 * `{jobs: [{id}]}`; `GET /admin/v1/replication/jobs?ids=a,b` answers `{jobs: [...]}`, each job a
 * step further on every poll. With `password`, every call needs Basic `admin:<password>`.
 */
export async function startReplicationAdminStandIn(jobs: ScriptedJob[], password?: string): Promise<ReplicationAdminStandIn> {
  const polls = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readJson(req);
      requests.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
      const send = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (password !== undefined && req.headers.authorization !== `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`) {
        res.setHeader('www-authenticate', 'Basic realm="gantry"');
        return send(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
      }
      const url = new URL(req.url!, 'http://stand-in');
      if (req.method === 'POST' && url.pathname === '/admin/v1/replication/run') {
        const { rule, repository } = (body ?? {}) as { rule?: string; repository?: string };
        if (rule === 'no-such-rule') return send(404, { errors: [{ code: 'NAME_UNKNOWN', message: `no replication rule "${rule}"` }] });
        const matching = rule !== undefined ? jobs : jobs.filter((job) => job.repository === repository);
        return send(202, { jobs: matching.map((job) => ({ id: job.id })) });
      }
      if (req.method === 'GET' && url.pathname === '/admin/v1/replication/jobs') {
        const ids = (url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
        const views = jobs
          .filter((job) => ids.includes(job.id))
          .map((job) => {
            const poll = polls.get(job.id) ?? 0;
            polls.set(job.id, poll + 1);
            const { state, failedReason, ...progress } = job.steps[Math.min(poll, job.steps.length - 1)]!;
            return { id: job.id, repository: job.repository, state, progress, ...(failedReason ? { failedReason } : {}) };
          });
        return send(200, { jobs: views });
      }
      send(404, { errors: [{ code: 'NOT_FOUND', message: `${req.method} ${url.pathname}` }] });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

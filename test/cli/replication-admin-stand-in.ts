import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One copy job as the stand-in plays it: a state per poll, the last one sticks. */
export interface ScriptedJob {
  id: string;
  repository: string;
  tag: string;
  destination: { backend: string; repository: string };
  steps: { state: string; progress: unknown; failedReason?: string }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorization?: string;
  body?: unknown;
}

export interface ReplicationAdminStandIn {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A real HTTP server answering like the gateway's replication admin API: `POST
 * /admin/v1/replication/run` `{rule, repository?}` → 202 `{rule, repository?, jobs: [ids]}` (404 for
 * an unknown rule), `{repository}` → 202 `{repository, rules, jobs}` (400 when no rule takes it); `GET /admin/v1/replication/jobs/:id` → the job, a step
 * further on every poll (404 when unknown). Every call needs Basic `admin:<password>`.
 */
export async function startReplicationAdminStandIn(rule: string, jobs: ScriptedJob[], password: string): Promise<ReplicationAdminStandIn> {
  const polls = new Map<string, number>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readJson(req);
      const url = new URL(req.url!, 'http://stand-in');
      requests.push({ method: req.method!, path: url.pathname, authorization: req.headers.authorization, body });
      const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(value));
      };
      const error = (status: number, code: string, message: string, headers?: Record<string, string>) => send(status, { errors: [{ code, message }] }, headers);
      if (req.headers.authorization !== `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`) {
        return error(401, 'UNAUTHORIZED', 'authentication required', { 'www-authenticate': 'Basic realm="gantry"' });
      }
      if (req.method === 'POST' && url.pathname === '/admin/v1/replication/run') {
        const asked = (body ?? {}) as { rule?: string; repository?: string };
        if (asked.rule === undefined && typeof asked.repository === 'string') {
          const taken = jobs.filter((job) => job.repository === asked.repository);
          if (taken.length === 0) return error(400, 'UNSUPPORTED', `no replication rule takes repository "${asked.repository}"`);
          return send(202, { repository: asked.repository, rules: [rule], jobs: taken.map((job) => job.id) });
        }
        if (typeof asked.rule !== 'string') return error(400, 'UNSUPPORTED', '"rule" (a rule name) or "repository" is required');
        if (asked.rule !== rule) return error(404, 'NAME_UNKNOWN', `no replication rule "${asked.rule}"`);
        const matching = jobs.filter((job) => asked.repository === undefined || job.repository === asked.repository);
        return send(202, { rule, ...(asked.repository ? { repository: asked.repository } : {}), jobs: matching.map((job) => job.id) });
      }
      const jobPath = /^\/admin\/v1\/replication\/jobs\/([^/]+)$/.exec(url.pathname);
      if (req.method === 'GET' && jobPath) {
        const job = jobs.find((j) => j.id === decodeURIComponent(jobPath[1]!));
        if (!job) return error(404, 'NAME_UNKNOWN', `no replication job "${jobPath[1]}"`);
        const poll = polls.get(job.id) ?? 0;
        polls.set(job.id, poll + 1);
        const step = job.steps[Math.min(poll, job.steps.length - 1)]!;
        return send(200, {
          id: job.id,
          state: step.state,
          rule,
          trigger: 'manual',
          source: { backend: 'ecr-prod', repository: job.repository },
          destination: job.destination,
          tag: job.tag,
          digest: `sha256:${'0'.repeat(64)}`,
          progress: step.progress,
          attemptsMade: 0,
          attempts: 3,
          ...(step.failedReason ? { failedReason: step.failedReason } : {}),
          createdAt: new Date(0).toISOString(),
        });
      }
      error(404, 'NOT_FOUND', `${req.method} ${url.pathname}`);
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

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen, sendOciError } from './clouds/http-util';
import { forwardRequest } from './forward-request';

/** How the front behaves: relay to the registry, fail on purpose, or accept and never answer. */
export type FrontMode = 'relay' | 'fail-500' | 'fail-429' | 'hang';

export interface CountingFront {
  url: string;
  mode: FrontMode;
  /** Requests seen, by `METHOD /path` (query left out), whatever the mode. */
  count(method: string, path: string): number;
  /** Requests seen whose path contains `/manifests/`. */
  manifestRequests(): number;
  /** Requests relayed to the registry and answered with `status` (a count of what it accepted, not what it was asked). */
  answered(method: string, path: string, status: number): number;
  /** Requests seen with `method` whose path matches `path` (upload sessions have paths of their own). */
  countMatching(method: string, path: RegExp): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A plain HTTP relay in front of a real registry that counts what reaches the upstream and can
 * be switched to misbehave (500, 429, hang). Host is kept, so the registry's Locations point here.
 */
export async function startCountingFront(upstreamUrl: string): Promise<CountingFront> {
  const counts = new Map<string, number>();
  const answers = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.destroy());
  });
  const front: CountingFront = {
    url: '',
    mode: 'relay',
    count: (method, path) => counts.get(`${method} ${path}`) ?? 0,
    answered: (method, path, status) => answers.get(`${method} ${path} ${status}`) ?? 0,
    manifestRequests: () => [...counts.entries()].filter(([key]) => key.includes('/manifests/')).reduce((sum, [, n]) => sum + n, 0),
    countMatching: (method, path) =>
      [...counts.entries()].filter(([key]) => key.startsWith(`${method} `) && path.test(key.slice(method.length + 1))).reduce((sum, [, n]) => sum + n, 0),
    reset: () => {
      counts.clear();
      answers.clear();
    },
    stop: async () => {
      for (const res of hanging) res.destroy();
      await closeServer(server);
    },
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = `${req.method ?? 'GET'} ${new URL(req.url ?? '/', 'http://front').pathname}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    switch (front.mode) {
      case 'fail-500':
        req.resume();
        return sendOciError(res, 500, 'UNKNOWN', 'the upstream is broken on purpose');
      case 'fail-429':
        req.resume();
        return sendOciError(res, 429, 'TOOMANYREQUESTS', 'the upstream is rate limiting on purpose', { 'retry-after': '3600' });
      case 'hang':
        req.resume();
        hanging.add(res);
        res.once('close', () => hanging.delete(res));
        return;
      case 'relay':
        break;
    }
    await forwardRequest(req, res, upstreamUrl);
    const answer = `${key} ${res.statusCode}`;
    answers.set(answer, (answers.get(answer) ?? 0) + 1);
  }

  front.url = `http://127.0.0.1:${await listen(server)}`;
  return front;
}

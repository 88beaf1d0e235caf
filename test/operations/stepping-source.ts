import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardRequest } from '../support/forward-request';

export interface SteppingSource {
  url: string;
  /** GETs of the blob seen so far (held ones included). */
  reads(): number;
  /** Lets one more read of the blob through (the oldest held one, or the next to come). */
  step(): void;
  /** Lets every read through from now on. */
  release(): void;
  stop(): Promise<void>;
}

/**
 * A relay in front of a registry that lets reads of one blob through one at a time, when the test
 * says: a chunked copy advances a chunk per step, so its progress can be watched moving.
 */
export async function startSteppingSource(upstreamUrl: string, blobPath: string, allowed: number): Promise<SteppingSource> {
  let reads = 0;
  let budget = allowed;
  let holding = true;
  const held: [IncomingMessage, ServerResponse][] = [];
  const forward = (req: IncomingMessage, res: ServerResponse) => void forwardRequest(req, res, upstreamUrl).catch(() => res.destroy());
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === blobPath) {
      reads++;
      if (holding && budget === 0) {
        held.push([req, res]);
        return;
      }
      budget--;
    }
    forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reads: () => reads,
    step() {
      const next = held.shift();
      if (next) forward(...next);
      else budget++;
    },
    release() {
      holding = false;
      for (const [req, res] of held.splice(0)) forward(req, res);
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

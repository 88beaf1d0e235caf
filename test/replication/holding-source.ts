import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { forwardRequest } from '../support/forward-request';

export interface HoldingSource {
  url: string;
  /** GETs of the blob seen so far (held ones included). */
  reads(): number;
  /** Lets every read through from now on; `held` reads: dropped (`drop`) or answered late (`answer`). */
  release(held?: 'drop' | 'answer'): void;
  stop(): Promise<void>;
}

/**
 * A relay in front of the source that answers the first `allowed` reads of one blob and holds
 * the next one unanswered: the worker waits between two chunks, where a kill leaves the
 * destination's upload exactly at a chunk boundary.
 */
export async function startHoldingSource(upstreamUrl: string, blobPath: string, allowed: number): Promise<HoldingSource> {
  let reads = 0;
  let holding = true;
  const held = new Map<ServerResponse, IncomingMessage>();
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === blobPath) {
      reads++;
      if (holding && reads > allowed) {
        held.set(res, req);
        return;
      }
    }
    forwardRequest(req, res, upstreamUrl).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    reads: () => reads,
    release(mode = 'drop') {
      holding = false;
      for (const [res, req] of held) {
        if (mode === 'drop') res.destroy();
        else forwardRequest(req, res, upstreamUrl).catch(() => res.destroy());
      }
      held.clear();
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}


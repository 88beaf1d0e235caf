import { request as httpRequest } from 'node:http';
import { waitFor } from './temp';
import type { V2Client } from './v2-client';

export interface HeldPatch {
  /** Sends the rest of the body; resolves with the PATCH's status. */
  finish(rest: Buffer): Promise<number>;
}

/**
 * A PATCH of `first.length + rest` bytes at offset 0 whose first part is sent and whose request
 * stays open, so it holds the upload's one-writer lock. Resolves once `observer` (the same gateway
 * or another replica) sees the session locked: a probe at a wrong offset changes nothing and is
 * refused either way, but says "being written" only while the lock is held.
 */
export async function holdPatchOpen(
  url: URL, first: Buffer, totalLength: number, observer: V2Client, headers: Record<string, string> = {},
): Promise<HeldPatch> {
  const req = httpRequest({
    host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'PATCH',
    headers: { 'content-type': 'application/octet-stream', 'content-length': totalLength, 'content-range': `0-${totalLength - 1}`, ...headers },
  });
  const status = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
  req.write(first);
  await waitFor('the first PATCH to hold the session', async () => {
    const probe = await observer.request('PATCH', url.pathname, { headers: { 'content-range': '5-9' }, body: 'xxxxx' });
    return (await probe.text()).includes('being written by another request');
  });
  return {
    finish(rest: Buffer) {
      req.end(rest);
      return status;
    },
  };
}

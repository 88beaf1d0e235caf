import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';

export interface BlobRelay {
  url: string;
  /** Full blob GETs (no Range) seen, by digest. */
  blobGets(digest: string): number;
  /** Blob body bytes sent to the gateway so far, by digest. */
  bytesSent(digest: string): number;
  /** Flip one byte in the middle of every blob body while true (a corrupt upstream). */
  corrupt: boolean;
  /** Blob bodies trickle at this many bytes a second while set (so a kill lands mid-transfer). */
  bytesPerSecond: number | undefined;
  stop(): Promise<void>;
}

const BLOB_PATH = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/;

/** A plain HTTP relay in front of a real registry that counts blob GETs and can misbehave on purpose. */
export async function startBlobRelay(targetUrl: string): Promise<BlobRelay> {
  const target = new URL(targetUrl);
  const gets = new Map<string, number>();
  const sent = new Map<string, number>();
  const relay: BlobRelay = {
    url: '',
    blobGets: (digest) => gets.get(digest) ?? 0,
    bytesSent: (digest) => sent.get(digest) ?? 0,
    corrupt: false,
    bytesPerSecond: undefined,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const digest = req.method === 'GET' ? BLOB_PATH.exec(req.url ?? '')?.[1] : undefined;
    if (digest && !req.headers.range) gets.set(digest, (gets.get(digest) ?? 0) + 1);
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        if (!digest || up.statusCode !== 200) return void up.pipe(res);
        up.pipe(new Misbehaviour(relay, Number(up.headers['content-length'] ?? 0), (n) => sent.set(digest, (sent.get(digest) ?? 0) + n))).pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return relay;
}

/** Counts, throttles and corrupts a blob body as the relay's switches say. */
class Misbehaviour extends Transform {
  private offset = 0;

  constructor(
    private readonly relay: BlobRelay,
    private readonly size: number,
    private readonly count: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const middle = Math.floor(this.size / 2);
    let out = chunk;
    if (this.relay.corrupt && middle >= this.offset && middle < this.offset + chunk.length) {
      out = Buffer.from(chunk);
      out[middle - this.offset] = out[middle - this.offset]! ^ 0xff;
    }
    this.offset += chunk.length;
    const rate = this.relay.bytesPerSecond;
    const pass = (): void => {
      this.count(out.length);
      callback(null, out);
    };
    if (rate) setTimeout(pass, (out.length / rate) * 1000);
    else pass();
  }
}

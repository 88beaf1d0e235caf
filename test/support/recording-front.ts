import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { closeServer, listen } from './clouds/http-util';

/** One request the front relayed, in the order requests arrived. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Path and query as sent. */
  url: string;
  /** Request body bytes relayed to the registry (PATCH/PUT blob bytes). */
  bytesIn: number;
  /** Position among all arrivals and completions: `done` is set when the answer has been sent. */
  arrived: number;
  done?: number;
  status?: number;
}

export interface RecordingFront {
  url: string;
  requests: RecordedRequest[];
  /** Flip the first byte of every blob GET's body (whole or ranged) while true: a corrupt source. */
  corruptBlobReads: boolean;
  /** Cut every blob GET's body after this many bytes while set: a source that dies mid-read. */
  breakBlobReadsAfter?: number;
  /** Called as each request arrives, before it is relayed (a test may act on it: abort a copy). */
  onRequest?: (request: RecordedRequest) => void;
  /**
   * Called once the registry has answered a request, before the answer is relayed: what the
   * request sent is stored, and its client has not heard so (a test may abort the client here).
   */
  onUpstreamAnswer?: (request: RecordedRequest) => void;
  /** Blob-upload body bytes (PATCH and PUT under /blobs/uploads/) relayed so far. */
  uploadBytes(): number;
  reset(): void;
  stop(): Promise<void>;
}

/**
 * A plain HTTP relay in front of a real registry that records every request (method, path,
 * body size, when it arrived and when it was answered). Host is kept, so upload Locations point here.
 */
export async function startRecordingFront(upstreamUrl: string): Promise<RecordingFront> {
  let clock = 0;
  const server = createServer((req, res) => {
    serve(req, res).catch(() => res.destroy());
  });
  const front: RecordingFront = {
    url: '',
    requests: [],
    corruptBlobReads: false,
    uploadBytes: () => front.requests.filter((r) => r.path.includes('/blobs/uploads/')).reduce((sum, r) => sum + r.bytesIn, 0),
    reset: () => {
      front.requests = [];
    },
    stop: () => closeServer(server),
  };

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const entry: RecordedRequest = { method: req.method ?? 'GET', path: new URL(req.url ?? '/', 'http://front').pathname, url: req.url ?? '/', bytesIn: 0, arrived: clock++ };
    front.requests.push(entry);
    front.onRequest?.(entry);
    res.once('finish', () => {
      entry.done = clock++;
      entry.status = res.statusCode;
    });
    const upstream = request(new URL(req.url ?? '/', upstreamUrl), { method: req.method, headers: req.headers });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      upstream.once('response', resolve);
      upstream.once('error', reject);
    });
    await pipeline(req, new ByteCount((n) => (entry.bytesIn += n)), upstream);
    const upstreamRes = await response;
    front.onUpstreamAnswer?.(entry);
    res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
    const blobRead = entry.method === 'GET' && entry.path.includes('/blobs/sha256:');
    if (blobRead && front.breakBlobReadsAfter !== undefined) return breakAfter(upstreamRes, res, front.breakBlobReadsAfter);
    await (blobRead && front.corruptBlobReads ? pipeline(upstreamRes, new FirstByteFlip(), res) : pipeline(upstreamRes, res));
  }

  front.url = `http://127.0.0.1:${await listen(server)}`;
  return front;
}

class ByteCount extends Transform {
  constructor(private readonly count: (n: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count(chunk.length);
    callback(null, chunk);
  }
}

class FirstByteFlip extends Transform {
  private flipped = false;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (!this.flipped && chunk.length > 0) {
      this.flipped = true;
      const out = Buffer.from(chunk);
      out[0] = out[0]! ^ 0xff;
      callback(null, out);
      return;
    }
    callback(null, chunk);
  }
}

/** Sends the first `limit` bytes of the answer, then drops the connection. */
function breakAfter(upstreamRes: IncomingMessage, res: ServerResponse, limit: number): void {
  let sent = 0;
  upstreamRes.on('data', (chunk: Buffer) => {
    if (sent >= limit) return;
    const part = chunk.subarray(0, limit - sent);
    sent += part.length;
    res.write(part);
    if (sent >= limit) {
      upstreamRes.destroy();
      // Let the bytes written reach the client before the socket goes.
      setImmediate(() => res.destroy());
    }
  });
}

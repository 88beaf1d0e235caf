import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent, as text. */
  text: string;
}

/** Parses the first HTTP/1.1 response in `text` (no chunked bodies: Gantry's errors have a length). */
export function parseResponse(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no complete response in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  return { status, headers, body: text.slice(end + 4, end + 4 + length), text };
}

/**
 * Hand-written HTTP for requests no client library would send. Writes `request`, then waits
 * until the server closes the connection (or `waitMs` passes) and returns what came back.
 */
export async function rawExchange(host: string, request: string | Buffer, waitMs = 15000): Promise<RawResponse> {
  const [hostname, port] = host.split(':') as [string, string];
  const text = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let received = '';
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (received += d));
    socket.on('error', (err) => (received ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
  });
  return parseResponse(text);
}

/**
 * Sends a request's headers and the first part of its body, then leaves the connection open
 * (a client that stalled). `response` resolves with whatever the server answers, once the
 * server closes the connection (and rejects if it has not after `waitMs`, a guard against a
 * server that never does); `abort()` is a client that goes away.
 */
export async function startPartialRequest(
  host: string,
  head: string,
  firstBytes: Buffer,
  waitMs = 30000,
): Promise<{ response: Promise<string>; abort(): Promise<void> }> {
  const [hostname, port] = host.split(':') as [string, string];
  const socket: Socket = await new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname, () => resolve(s));
    s.once('error', reject);
  });
  socket.on('error', () => undefined);
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => (received += d));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.write(Buffer.concat([Buffer.from(head, 'latin1'), firstBytes]), () => resolve()));
  const response = new Promise<string>((resolve, reject) => {
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server neither answered nor closed the connection within ${waitMs} ms`));
    }, waitMs);
    void closed.then(() => {
      clearTimeout(guard);
      resolve(received);
    });
  });
  response.catch(() => undefined); // a test that aborts never looks at it
  return {
    response,
    async abort() {
      socket.destroy();
      await closed;
    },
  };
}

import { AdminRequestError, CliError } from '../cli-error';

/** Basic credentials for the admin API; the password never appears in a message. */
export interface AdminCredentials {
  user: string;
  password: string;
}

/** The gateway's /admin API over HTTP, as an operator's curl would use it. */
export class AdminClient {
  constructor(
    readonly baseUrl: URL,
    private readonly credentials: AdminCredentials | undefined,
  ) {}

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.credentials) headers.authorization = `Basic ${Buffer.from(`${this.credentials.user}:${this.credentials.password}`).toString('base64')}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new CliError(`cannot reach ${this.baseUrl.origin}: ${cause} (set --url or GANTRY_URL)`);
    }
    const text = await res.text();
    if (!res.ok) throw new AdminRequestError(`${method} ${url.pathname}: ${describeFailure(res.status, text, this.credentials !== undefined)}`, res.status, errorCode(text));
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

function errorCode(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { errors?: { code?: string }[] }).errors?.[0]?.code;
  } catch {
    return undefined;
  }
}

/** `401 UNAUTHORIZED: authentication required (...)`: the OCI error envelope in one line. */
function describeFailure(status: number, body: string, withCredentials: boolean): string {
  let detail = body.trim().slice(0, 500);
  try {
    const envelope = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    const errors = envelope.errors ?? [];
    if (errors.length > 0) detail = errors.map((e) => `${e.code ?? 'ERROR'}: ${e.message ?? ''}`).join('; ');
  } catch {
    // not JSON: the start of the body says enough
  }
  const hint =
    status === 401 && !withCredentials
      ? ' (give --user, or GANTRY_USER, with the password in GANTRY_PASSWORD or on stdin with --password-stdin)'
      : status === 404 && detail.startsWith('<')
        ? ' (is --url a Gantry gateway?)'
        : '';
  return `${status} ${detail || 'no detail'}${hint}`;
}

import type { Readable } from 'node:stream';
import { ERROR_CODES, type ErrorCode, OciError, readBounded } from '#oci';
import { header} from './body';

/** What a request was about; decides what a bare 404 or 400 means. */
export type Operation = 'ping' | 'manifest' | 'blob' | 'upload' | 'tags' | 'catalog' | 'referrers';

export interface UpstreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

const ERROR_BODY_LIMIT = 64 * 1024;
const MESSAGE_LIMIT = 500;
const DEFAULT_RETRY_AFTER_SECONDS = '60';

const NOT_FOUND: Record<Operation, ErrorCode> = {
  ping: 'NAME_UNKNOWN',
  manifest: 'MANIFEST_UNKNOWN',
  blob: 'BLOB_UNKNOWN',
  upload: 'BLOB_UPLOAD_UNKNOWN',
  tags: 'NAME_UNKNOWN',
  catalog: 'NAME_UNKNOWN',
  referrers: 'NAME_UNKNOWN',
};

const BAD_REQUEST: Record<Operation, ErrorCode> = {
  ping: 'UNSUPPORTED',
  manifest: 'MANIFEST_INVALID',
  blob: 'DIGEST_INVALID',
  upload: 'BLOB_UPLOAD_INVALID',
  tags: 'NAME_INVALID',
  catalog: 'UNSUPPORTED',
  referrers: 'DIGEST_INVALID',
};

interface UpstreamErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/**
 * Turns an unexpected upstream response into the OciError the client should see. Only headers
 * chosen here survive: the upstream's WWW-Authenticate (its realm, its scopes) never reaches a client.
 */
export async function errorFromResponse(res: UpstreamResponse, backend: string, op: Operation): Promise<OciError> {
  const status = res.statusCode;
  const entry = await readEnvelope(res.body);
  const upstreamSays = entry ? `${entry.code}: ${truncate(entry.message ?? '')}` : `HTTP ${status}`;

  if (status >= 500) {
    return new OciError('UNAVAILABLE', `backend ${backend} failed (${upstreamSays})`);
  }
  if (status === 429) {
    const retryAfter = header(res.headers, 'retry-after') ?? DEFAULT_RETRY_AFTER_SECONDS;
    return new OciError('TOOMANYREQUESTS', `backend ${backend} is rate limiting Gantry (${upstreamSays})`, { headers: { 'retry-after': retryAfter } });
  }
  if (status === 401) {
    return new OciError('UNAUTHORIZED', `backend ${backend} rejected Gantry's credentials`);
  }
  if (entry && entry.code in ERROR_CODES && status >= 400) {
    const options: ConstructorParameters<typeof OciError>[2] = { status, detail: entry.detail };
    if (entry.code === 'RANGE_INVALID') options.headers = contentRange(res);
    return new OciError(entry.code as ErrorCode, truncate(entry.message || ERROR_CODES[entry.code as ErrorCode].message), options);
  }
  switch (status) {
    case 404:
      return new OciError(NOT_FOUND[op]);
    case 403:
      return new OciError('DENIED', `backend ${backend} denied access (${upstreamSays})`);
    case 416:
      return new OciError('RANGE_INVALID', 'requested range not satisfiable', { headers: contentRange(res) });
    case 413:
      return op === 'manifest' ? new OciError('MANIFEST_TOO_LARGE') : new OciError('SIZE_INVALID', `backend ${backend}: payload too large`, { status });
    case 405:
      return new OciError('UNSUPPORTED', `backend ${backend} does not support this operation`);
    case 400:
      return new OciError(BAD_REQUEST[op], `backend ${backend} refused the request (${upstreamSays})`);
    default:
      return new OciError('UNAVAILABLE', `backend ${backend} answered with unexpected HTTP ${status}`, { status: 502 });
  }
}

async function readEnvelope(body: Readable): Promise<UpstreamErrorEntry | undefined> {
  let text: string;
  try {
    text = (await readBounded(body, ERROR_BODY_LIMIT, () => new Error('error body too large'))).toString('utf8');
  } catch {
    return undefined;
  }
  try {
    const doc = JSON.parse(text) as { errors?: unknown };
    const first = Array.isArray(doc.errors) ? (doc.errors[0] as Record<string, unknown> | undefined) : undefined;
    if (first && typeof first.code === 'string') {
      return { code: first.code, message: typeof first.message === 'string' ? first.message : undefined, detail: first.detail };
    }
  } catch {
    // Not JSON: a proxy's HTML page or plain text; the status decides.
  }
  return undefined;
}

function contentRange(res: UpstreamResponse): Record<string, string> {
  const value = header(res.headers, 'content-range');
  return value ? { 'content-range': value } : {};
}

function truncate(text: string): string {
  return text.length > MESSAGE_LIMIT ? `${text.slice(0, MESSAGE_LIMIT)}…` : text;
}

/** A network-level failure (refused, reset, timed out) as the 503 the client should see. */
export function unavailable(backend: string, err: unknown): OciError {
  const code = (err as { code?: string }).code;
  const what = code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect timeout'
    : code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? 'read timeout'
    : code ?? (err as Error).message;
  return new OciError('UNAVAILABLE', `backend ${backend} unreachable (${what})`);
}

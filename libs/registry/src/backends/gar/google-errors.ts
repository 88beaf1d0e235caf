import { OciError } from '#oci';

/** gRPC status codes google-gax reports (REST errors are mapped onto them too). */
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const RESOURCE_EXHAUSTED = 8;
const UNAUTHENTICATED = 16;

/** Google quotas are per minute; with no Retry-After, ask clients to come back in a while. */
const THROTTLED_RETRY_AFTER_SECONDS = '10';

interface GoogleLikeError {
  /** gax: a gRPC code; gaxios: a network code string. */
  code?: number | string;
  status?: number;
  response?: { status?: number; data?: unknown };
  message?: string;
}

/**
 * A failure of google-auth-library (token fetch) or google-gax (Artifact Registry API) as the
 * OciError a client sees. Only error codes and Google's own descriptions are kept: a gaxios
 * error also carries the request, which may hold a subject token or an assertion.
 */
export function googleError(backend: string, action: string, err: unknown): OciError {
  if (err instanceof OciError) return err;
  const e = (err ?? {}) as GoogleLikeError;
  const httpStatus = e.response?.status ?? (typeof e.status === 'number' ? e.status : undefined);
  const code = typeof e.code === 'number' ? e.code : undefined;
  if (code === RESOURCE_EXHAUSTED || httpStatus === 429) {
    return new OciError('TOOMANYREQUESTS', `backend ${backend}: Google is throttling Gantry trying to ${action}`, {
      headers: { 'retry-after': THROTTLED_RETRY_AFTER_SECONDS },
    });
  }
  const oauth = oauthError(e.response?.data);
  if (code === UNAUTHENTICATED || httpStatus === 401 || oauth || isMissingCredentials(e)) {
    return new OciError('UNAUTHORIZED', `backend ${backend}: Google refused Gantry's credentials trying to ${action}${oauth ? ` (${oauth})` : ''}`);
  }
  if (code === PERMISSION_DENIED || httpStatus === 403) {
    return new OciError('DENIED', `backend ${backend}: Google denied Gantry permission to ${action}`);
  }
  if (code === NOT_FOUND || httpStatus === 404) {
    return new OciError('NAME_UNKNOWN', `backend ${backend}: not found trying to ${action}`);
  }
  const what = typeof e.code === 'string' ? e.code : httpStatus ? `HTTP ${httpStatus}` : code !== undefined ? `code ${code}` : 'error';
  return new OciError('UNAVAILABLE', `backend ${backend}: could not ${action} (${what})`);
}

/** `invalid_grant: <description>` from an OAuth/STS error body. */
function oauthError(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const { error, error_description: description } = data as { error?: unknown; error_description?: unknown };
  if (typeof error !== 'string') return undefined;
  return typeof description === 'string' ? `${error}: ${description.slice(0, 200)}` : error;
}

/** ADC found nothing, or the configured key file is unreadable or malformed. */
function isMissingCredentials(e: GoogleLikeError): boolean {
  const message = e.message ?? '';
  return e.code === 'ENOENT' || /default credentials|credentials file|must be a service account|Unable to parse|private_key/i.test(message);
}

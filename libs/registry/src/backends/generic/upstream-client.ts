import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { Agent, request, type Dispatcher } from 'undici';
import { OciError } from '#oci';
import { Authenticator, type AuthorizationUse } from './authenticator';
import { discard } from './body';
import { selectChallenge, type AuthChallenge } from './challenge';
import type { Clock } from './clock';
import { CredentialsRejected, type BearerTokenProvider, type CredentialSource } from './credentials';
import { DockerTokenProvider } from './docker-token';
import { errorFromResponse, unavailable, type Operation } from './error-mapping';
import { RealmPolicy } from './realm-policy';
import { backoffDelay, isRetryableStatus, MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from './retry';


/** Response bodies are buffered in 1 MiB steps (not 64 KiB): fewer chunks per streamed layer. */
const BODY_HIGH_WATER_MARK = 1024 * 1024;
export const USER_AGENT = 'gantry';

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';
export type ResponseBody = Dispatcher.ResponseData['body'];

export interface UpstreamCall {
  method: HttpMethod;
  /** A path below the registry root (`/v2/...`) or an absolute URL (an upload Location). */
  url: string | URL;
  /** Bearer scopes the request needs, e.g. `repository:a/b:pull`. */
  scopes: readonly string[];
  op: Operation;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  /** Statuses handed back to the caller; any other becomes an OciError. */
  expect: readonly number[];
}

export interface UpstreamReply {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: ResponseBody;
  /** The URL that answered, to resolve relative Locations against. */
  url: URL;
}

export interface UpstreamClientOptions {
  backend: string;
  url: URL;
  credentials?: CredentialSource;
  tokenProvider?: BearerTokenProvider;
  allowedRealmHosts: readonly string[];
  timeouts: { connectMs: number; readMs: number };
  retries: number;
  logger: Logger;
  /** For token expiry (default the system clock). */
  clock?: Clock;
  /**
   * Recognises a credential rejection that is not a 401 (ECR: 403 "Your authorization token has
   * expired"): credentials are then invalidated and a replayable request is sent once more.
   */
  isCredentialRejection?: (err: OciError) => boolean;
}

/**
 * One backend's HTTP side: a keep-alive pool, timeouts, retries with backoff, the auth dance
 * (challenge, token, 401 recovery) and the mapping of failures to OCI errors. Cloud backends
 * reach the upstream through it too, so their requests get the same treatment.
 */
export class UpstreamClient {
  readonly dispatcher: Agent;
  readonly auth: Authenticator;
  private readonly root: URL;

  constructor(private readonly options: UpstreamClientOptions) {
    this.dispatcher = new Agent({
      connect: { timeout: options.timeouts.connectMs },
      headersTimeout: options.timeouts.readMs,
      bodyTimeout: options.timeouts.readMs,
      keepAliveTimeout: 10_000,
    });
    // A registry mounted under a path prefix keeps it; credentials in the URL are never used.
    this.root = new URL(options.url.href);
    this.root.username = '';
    this.root.password = '';
    if (!this.root.pathname.endsWith('/')) this.root.pathname += '/';
    const realmPolicy = new RealmPolicy(options.backend, this.root, options.allowedRealmHosts, options.logger);
    this.auth = new Authenticator({
      backend: options.backend,
      credentials: options.credentials,
      tokenProvider: options.tokenProvider ?? new DockerTokenProvider(options.backend, this.dispatcher, options.credentials, USER_AGENT, options.clock),
      realmPolicy,
      logger: options.logger,
      clock: options.clock,
      ping: () => this.ping(),
    });
  }

  get backend(): string {
    return this.options.backend;
  }

  /** The registry URL without userinfo, for status pages and logs. */
  get baseUrl(): string {
    return this.root.href.replace(/\/$/, '');
  }

  resolve(url: string | URL): URL {
    if (url instanceof URL) return url;
    return new URL(url.replace(/^\//, ''), this.root);
  }

  /** Sends an authenticated request and returns it when its status is expected. */
  async send(call: UpstreamCall): Promise<UpstreamReply> {
    const url = this.resolve(call.url);
    // Authorization goes only to the registry itself, never to a host it points us at.
    const ours = url.origin === this.root.origin;
    const replayable = !(call.body instanceof Readable);
    let scopes = [...call.scopes];
    let stage = 0; // 0: first try, 1: retried with a fresh token, 2: retried after invalidating credentials
    for (;;) {
      let auth: AuthorizationUse = { kind: 'none', cached: false };
      if (ours) {
        try {
          auth = await this.auth.authorize(scopes, stage > 0);
        } catch (err) {
          if (!(err instanceof CredentialsRejected)) throw err;
          if (!err.anonymous && stage < 2) {
            this.auth.invalidateCredentials();
            stage = 2;
            continue;
          }
          throw this.unauthorized(err.anonymous);
        }
      }
      const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...call.headers };
      if (auth.header) headers.authorization = auth.header;
      const res = await this.dispatch(call, url, headers, replayable);
      if (res.statusCode === 401 && ours) {
        const learned = this.auth.learn(res.headers['www-authenticate']);
        await discard(res.body);
        // A streamed body is gone: the client retries the whole request, with a fresh token by then.
        if (!replayable) {
          this.auth.forgetToken(scopes);
          throw this.unauthorized(auth.kind === 'none');
        }
        if (learned.scope) scopes = [...new Set([...scopes, ...learned.scope.split(' ')])];
        if (stage === 0 && (learned.changed || auth.cached)) {
          stage = 1;
          continue;
        }
        if (stage < 2 && auth.kind !== 'none' && (await this.auth.hasCredentials())) {
          this.auth.invalidateCredentials();
          stage = 2;
          continue;
        }
        throw this.unauthorized(auth.kind === 'none' || !(await this.auth.hasCredentials()));
      }
      if (auth.kind !== 'none' && res.statusCode < 400) this.auth.credentials?.confirm?.();
      if (call.expect.includes(res.statusCode)) return { statusCode: res.statusCode, headers: res.headers, body: res.body, url };
      const err = await errorFromResponse(res, this.options.backend, call.op);
      if (ours && replayable && stage < 2 && this.options.isCredentialRejection?.(err)) {
        this.auth.invalidateCredentials();
        stage = 2;
        continue;
      }
      throw err;
    }
  }

  /** A request without any credentials (presigned storage URLs carry their own authorisation). */
  async sendAnonymous(method: 'GET' | 'HEAD', url: URL, headers: Record<string, string>): Promise<UpstreamReply> {
    const res = await this.dispatch({ method }, url, { 'user-agent': USER_AGENT, ...headers }, true);
    return { statusCode: res.statusCode, headers: res.headers, body: res.body, url };
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** `GET /v2/` without credentials to learn the challenge. */
  private async ping(): Promise<AuthChallenge> {
    const res = await this.dispatch({ method: 'GET' }, this.resolve('v2/'), { 'user-agent': USER_AGENT }, true);
    if (res.statusCode >= 500) throw await errorFromResponse(res, this.options.backend, 'ping');
    await discard(res.body);
    if (res.statusCode === 401) return selectChallenge(res.headers['www-authenticate']) ?? { scheme: 'basic' };
    return { scheme: 'none' };
  }

  /**
   * One logical request with network-level retries. Only idempotent methods without a streamed
   * body are retried: a PATCH of a stream cannot be replayed, and a POST may open a session twice.
   */
  private async dispatch(
    call: Pick<UpstreamCall, 'method' | 'body'>,
    url: URL,
    headers: Record<string, string>,
    replayable: boolean,
  ): Promise<Dispatcher.ResponseData> {
    const idempotent = call.method === 'GET' || call.method === 'HEAD' || call.method === 'DELETE';
    const attempts = idempotent && replayable ? this.options.retries + 1 : 1;
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= attempts;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { method: call.method, headers, body: call.body ?? null, dispatcher: this.dispatcher, highWaterMark: BODY_HIGH_WATER_MARK });
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'UND_ERR_INVALID_ARG') throw err;
        // The client's body did not match its own Content-Length: its fault, not the upstream's.
        if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') throw new OciError('SIZE_INVALID', 'body length does not match Content-Length');
        if (last) throw unavailable(this.options.backend, err);
        const delay = backoffDelay(attempt);
        this.options.logger.debug({ method: call.method, host: url.host, code, delay }, 'upstream request failed, retrying');
        await sleep(delay);
        continue;
      }
      if (!last && isRetryableStatus(res.statusCode)) {
        const retryAfter = parseRetryAfter(res.headers['retry-after']);
        // A long Retry-After is the upstream's answer, not something to sit through.
        if (retryAfter === undefined || retryAfter <= MAX_RETRY_AFTER_MS) {
          await discard(res.body);
          const delay = retryAfter ?? backoffDelay(attempt);
          this.options.logger.debug({ method: call.method, host: url.host, status: res.statusCode, delay }, 'upstream busy, retrying');
          await sleep(delay);
          continue;
        }
      }
      return res;
    }
  }

  private unauthorized(anonymous: boolean): OciError {
    const message = anonymous
      ? `backend ${this.options.backend} refused anonymous access and Gantry has no credentials for it`
      : `backend ${this.options.backend} rejected Gantry's credentials`;
    this.options.logger.warn({ anonymous }, message);
    return new OciError('UNAUTHORIZED', message);
  }
}

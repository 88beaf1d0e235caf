import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { Agent, request, type Dispatcher } from 'undici';
import { isOciError, OciError } from '#oci';
import type { BackendObserver, SharedTokenStore, UpstreamOperation } from '../../port';
import { Authenticator, type AuthorizationUse } from './authenticator';
import { discard } from './body';
import { selectChallenge, type AuthChallenge } from './challenge';
import { CircuitBreaker, type CircuitBreakerOptions, type Outcome } from './circuit-breaker';
import { systemClock, type Clock } from './clock';
import { CredentialsRejected, type BearerTokenProvider, type CredentialSource } from './credentials';
import { Deadline } from './deadline';
import { DockerTokenProvider } from './docker-token';
import { errorFromResponse, unavailable, type Operation } from './error-mapping';
import { RealmPolicy } from './realm-policy';
import { backoffDelay, isRetryableStatus, MAX_RETRY_AFTER_MS, parseRetryAfter, sleep } from './retry';


/**
 * A response body holds one socket read (64 KiB) before undici stops reading the upstream: a
 * larger buffer does not make chunks larger, it only holds more bytes per stream while the
 * client is slower than the upstream (24 parallel pulls held 24 MiB more at 1 MiB).
 */
const BODY_HIGH_WATER_MARK = 64 * 1024;
export const USER_AGENT = 'gantry';
/** A retry is not started with less of the deadline left than this: it could not finish. */
const MIN_ATTEMPT_MS = 250;
export const DEFAULT_REQUEST_MS = 30_000;
export const DEFAULT_CIRCUIT_BREAKER: CircuitBreakerOptions = { failures: 5, openSeconds: 30 };

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
  /**
   * `connectMs` bounds the TCP and TLS handshake, `readMs` the wait for headers and each gap
   * between body bytes, `requestMs` (default 30 s) a whole logical request with its retries,
   * except blob bodies and streamed uploads, which are bounded by `readMs` of idle time only.
   */
  timeouts: { connectMs: number; readMs: number; requestMs?: number };
  retries: number;
  /** Default: open after 5 consecutive failures, probe again after 30 s. */
  circuitBreaker?: CircuitBreakerOptions;
  /** Token expiry, the breaker and the ping memory read it (default the system clock). */
  clock?: Clock;
  logger: Logger;
  /**
   * Recognises a credential rejection that is not a 401 (ECR: 403 "Your authorization token has
   * expired"): credentials are then invalidated and a replayable request is sent once more.
   */
  isCredentialRejection?: (err: OciError) => boolean;
  /** Bearer tokens shared with the other gateway replicas (see Authenticator). */
  sharedTokens?: SharedTokenStore;
  /** Told about every logical request (status, latency) and nothing secret. */
  observer?: BackendObserver;
}

/**
 * One backend's HTTP side: a keep-alive pool, timeouts, retries with backoff, the auth dance
 * (challenge, token, 401 recovery) and the mapping of failures to OCI errors. Cloud backends
 * reach the upstream through it too, so their requests get the same treatment.
 */
export class UpstreamClient {
  readonly dispatcher: Agent;
  readonly auth: Authenticator;
  /** Fails requests fast while the upstream is down; its state is part of the backend's status. */
  readonly circuit: CircuitBreaker;
  private readonly root: URL;
  private readonly requestMs: number;
  /** Requests in flight, body included: close() cuts them rather than wait for their deadline. */
  private readonly live = new Set<Deadline>();

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
    this.requestMs = options.timeouts.requestMs ?? DEFAULT_REQUEST_MS;
    const clock = options.clock ?? systemClock;
    this.circuit = new CircuitBreaker(options.backend, options.circuitBreaker ?? DEFAULT_CIRCUIT_BREAKER, clock);
    const realmPolicy = new RealmPolicy(options.backend, this.root, options.allowedRealmHosts, options.logger);
    this.auth = new Authenticator({
      backend: options.backend,
      credentials: options.credentials,
      tokenProvider: options.tokenProvider ?? new DockerTokenProvider(options.backend, this.dispatcher, options.credentials, USER_AGENT, clock),
      realmPolicy,
      logger: options.logger,
      ping: () => this.ping(),
      clock,
      sharedTokens: options.sharedTokens,
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

  /**
   * Sends an authenticated request and returns it when its status is expected, within one
   * deadline. A streamed request body is bounded by idle time only (a layer may take minutes),
   * and so is a blob's response body: the deadline ends when its headers arrive.
   */
  async send(call: UpstreamCall): Promise<UpstreamReply> {
    const deadline = call.body instanceof Readable ? undefined : new Deadline(this.options.backend, this.requestMs, this.live);
    let reply: UpstreamReply;
    try {
      reply = await this.exchange(call, deadline);
    } catch (err) {
      deadline?.release();
      throw err;
    }
    if (deadline) {
      if (call.op === 'blob') deadline.stopClock();
      reply.body.once('close', () => deadline.release());
    }
    return reply;
  }

  private async exchange(call: UpstreamCall, deadline: Deadline | undefined): Promise<UpstreamReply> {
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
          // The ping and token fetch are shared with other requests: waited for, not cancelled.
          const authorizing = this.auth.authorize(scopes, stage > 0);
          auth = await (deadline ? deadline.race(authorizing) : authorizing);
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
      const res = await this.dispatch(call, url, headers, replayable, deadline);
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

  /**
   * A request without any credentials (presigned storage URLs carry their own authorisation).
   * Storage is not the registry: its failures do not count against the registry's circuit.
   */
  async sendAnonymous(method: 'GET' | 'HEAD', url: URL, headers: Record<string, string>): Promise<UpstreamReply> {
    // Blob bytes follow: the deadline covers the wait for headers only.
    const deadline = new Deadline(this.options.backend, this.requestMs, this.live);
    const started = this.options.observer ? performance.now() : 0;
    let res: Dispatcher.ResponseData;
    try {
      res = await this.withRetries({ method }, url, { 'user-agent': USER_AGENT, ...headers }, true, deadline);
    } catch (err) {
      deadline.release();
      this.observe('storage', undefined, started);
      throw err;
    }
    this.observe('storage', res.statusCode, started);
    deadline.stopClock();
    res.body.once('close', () => deadline.release());
    return { statusCode: res.statusCode, headers: res.headers, body: res.body, url };
  }

  /**
   * Called at shutdown, after the gateway stopped serving: a request still in flight (a catalog
   * listing the catalog stopped waiting for) has nobody left to answer, so it is cut, not awaited.
   */
  async close(): Promise<void> {
    const reason = new OciError('UNAVAILABLE', `backend ${this.options.backend}: Gantry is shutting down`);
    for (const deadline of this.live) deadline.cancel(reason);
    await this.dispatcher.close();
  }

  /** Readiness: `GET /v2/` answers below 500 (a 401 is an upstream alive enough to challenge). */
  async probe(): Promise<void> {
    await this.ping();
  }

  /** `GET /v2/` without credentials to learn the challenge. */
  private async ping(): Promise<AuthChallenge> {
    const deadline = new Deadline(this.options.backend, this.requestMs, this.live);
    try {
      const res = await this.dispatch({ method: 'GET', op: 'ping' }, this.resolve('v2/'), { 'user-agent': USER_AGENT }, true, deadline);
      if (res.statusCode >= 500) throw await errorFromResponse(res, this.options.backend, 'ping');
      await discard(res.body);
      if (res.statusCode === 401) return selectChallenge(res.headers['www-authenticate']) ?? { scheme: 'basic' };
      return { scheme: 'none' };
    } finally {
      deadline.release();
    }
  }

  /**
   * One logical request to the registry through its circuit breaker. Network errors, timeouts
   * and 5xx (retries included: one request, one count) are failures; any other answer is the
   * upstream being alive.
   */
  private async dispatch(
    call: Pick<UpstreamCall, 'method' | 'body' | 'op'>,
    url: URL,
    headers: Record<string, string>,
    replayable: boolean,
    deadline: Deadline | undefined,
  ): Promise<Dispatcher.ResponseData> {
    const admission = this.circuit.admit();
    let outcome: Outcome = 'failure';
    const started = this.options.observer ? performance.now() : 0;
    let status: number | undefined;
    try {
      const res = await this.withRetries(call, url, headers, replayable, deadline);
      status = res.statusCode;
      // 501 is an upstream alive enough to say it lacks a feature.
      outcome = res.statusCode >= 500 && res.statusCode !== 501 ? 'failure' : 'success';
      return res;
    } catch (err) {
      if (isClientFault(err, call.body)) outcome = 'neutral';
      throw err;
    } finally {
      admission.settle(outcome);
      // A client's broken body says nothing about the upstream, for metrics as for the circuit.
      if (outcome !== 'neutral') this.observe(call.op, status, started);
    }
  }

  private observe(operation: UpstreamOperation, status: number | undefined, started: number): void {
    this.options.observer?.upstreamRequest({ backend: this.options.backend, operation, status, seconds: (performance.now() - started) / 1000 });
  }

  /**
   * One logical request with network-level retries. Only idempotent methods without a streamed
   * body are retried: a PATCH of a stream cannot be replayed, and a POST may open a session twice.
   * Retries happen only within the deadline: no sleep past it, no attempt without time to finish.
   */
  private async withRetries(
    call: Pick<UpstreamCall, 'method' | 'body'>,
    url: URL,
    headers: Record<string, string>,
    replayable: boolean,
    deadline: Deadline | undefined,
  ): Promise<Dispatcher.ResponseData> {
    const idempotent = call.method === 'GET' || call.method === 'HEAD' || call.method === 'DELETE';
    const attempts = idempotent && replayable ? this.options.retries + 1 : 1;
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= attempts;
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: call.method, headers, body: call.body ?? null, dispatcher: this.dispatcher, highWaterMark: BODY_HIGH_WATER_MARK, signal: deadline?.signal,
        });
      } catch (err) {
        // The deadline's own reason: already the 503 to answer with.
        if (isOciError(err)) throw err;
        const code = (err as { code?: string }).code;
        if (code === 'UND_ERR_INVALID_ARG') throw err;
        // The client's body did not match its own Content-Length: its fault, not the upstream's.
        if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') throw new OciError('SIZE_INVALID', 'body length does not match Content-Length');
        const delay = backoffDelay(attempt);
        if (last || !fitsBefore(deadline, delay)) throw unavailable(this.options.backend, err);
        this.options.logger.debug({ method: call.method, host: url.host, code, delay }, 'upstream request failed, retrying');
        await sleep(delay);
        continue;
      }
      if (!last && isRetryableStatus(res.statusCode)) {
        const retryAfter = parseRetryAfter(res.headers['retry-after']);
        const delay = retryAfter ?? backoffDelay(attempt);
        // A long Retry-After is the upstream's answer, not something to sit through.
        if ((retryAfter === undefined || retryAfter <= MAX_RETRY_AFTER_MS) && fitsBefore(deadline, delay)) {
          await discard(res.body);
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

/** True when a retry after `delay` ms still leaves its attempt time to finish within the deadline. */
function fitsBefore(deadline: Deadline | undefined, delay: number): boolean {
  return !deadline || delay + MIN_ATTEMPT_MS <= deadline.remainingMs();
}

/** A failure that says nothing about the upstream: the client's body broke or did not match. */
function isClientFault(err: unknown, body: UpstreamCall['body']): boolean {
  if (body instanceof Readable && body.errored) return true;
  return (err as { code?: string }).code === 'UND_ERR_INVALID_ARG' || (isOciError(err) && err.code === 'SIZE_INVALID');
}

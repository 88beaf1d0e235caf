import type { Logger } from 'pino';
import type { RedisClient } from './redis-connection';

/** Redis replies that mean "not serving now" rather than "this command is wrong". */
const OUTAGE_REPLIES = /^(LOADING|MASTERDOWN|CLUSTERDOWN|READONLY|TRYAGAIN|BUSY)\b/;

export interface RedisAvailabilityOptions {
  /** While Redis is away, at most one PING per this interval checks whether it is back. */
  probeIntervalMs?: number;
  now?: () => number;
}

/**
 * Whether Redis answers, for everything that shares one connection: a circuit breaker that logs
 * once per outage. While Redis is away, `run` answers the fallback at once (no request waits on
 * a dead or hung Redis more than once); ioredis reconnects in the background, and a PING now and
 * then notices a Redis that hung and came back without a reconnect.
 */
export class RedisAvailability {
  /** Settles when the connection is first ready; until then commands fall back, silently. */
  readonly connected: Promise<void>;
  private state: 'connecting' | 'up' | 'down' = 'connecting';
  private closing = false;
  private probing = false;
  private lastProbe = 0;
  private readonly probeIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: RedisClient,
    private readonly logger: Logger,
    options: RedisAvailabilityOptions = {},
  ) {
    this.probeIntervalMs = options.probeIntervalMs ?? 1000;
    this.now = options.now ?? Date.now;
    let markConnected: () => void = () => undefined;
    this.connected = new Promise((resolve) => (markConnected = resolve));
    // Without an 'error' listener ioredis prints every failed reconnect to the console.
    client.on('error', (err: Error) => this.markDown(err));
    client.on('ready', () => {
      this.markUp();
      markConnected();
    });
  }

  get available(): boolean {
    return this.state === 'up';
  }

  /** `command()` when Redis answers; `fallback` when it is away or fails (never a throw). */
  async run<T>(command: () => Promise<T>, fallback: T): Promise<T> {
    if (this.state !== 'up') {
      if (this.state === 'down') this.probe();
      return fallback;
    }
    try {
      return await command();
    } catch (err) {
      this.failed(err as Error);
      return fallback;
    }
  }

  /** Stops reporting: the connection is being closed on purpose. */
  close(): void {
    this.closing = true;
  }

  private failed(err: Error): void {
    if (err.name === 'ReplyError' && !OUTAGE_REPLIES.test(err.message)) {
      // Redis is there and refused this command: a bug to see, not an outage to ride out.
      this.logger.warn({ err: err.message }, 'redis refused a command');
      return;
    }
    this.markDown(err);
  }

  private markDown(err: Error): void {
    if (this.closing || this.state === 'down') return;
    this.state = 'down';
    this.lastProbe = this.now();
    this.logger.warn(`redis unavailable: ${err.message}; the cache and locks work inside this process until it is back`);
  }

  private markUp(): void {
    if (this.closing || this.state === 'up') return;
    const wasDown = this.state === 'down';
    this.state = 'up';
    if (wasDown) this.logger.info('redis available again');
  }

  private probe(): void {
    if (this.probing || this.closing || this.now() - this.lastProbe < this.probeIntervalMs) return;
    this.probing = true;
    this.lastProbe = this.now();
    this.client
      .ping()
      .then(
        () => this.markUp(),
        () => undefined,
      )
      .finally(() => {
        this.probing = false;
      });
  }
}

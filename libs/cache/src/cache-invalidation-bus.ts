import { randomUUID } from 'node:crypto';
import type { RedisAvailability } from './redis-availability';
import type { RedisClient } from './redis-connection';

/** What another replica changed: these keys, or every key under a prefix. */
export type Invalidation = { keys: string[] } | { prefix: string };

interface Message {
  origin: string;
  keys?: string[];
  prefix?: string;
}

/**
 * Tells every replica's L1 what changed in the shared cache, over Redis pub/sub on
 * `<keyPrefix>cache:invalidate`. Publishing is best effort (through the availability guard);
 * a replica ignores its own messages. The subscriber is its own connection (a subscribed
 * connection can do nothing else) and subscribes again after each reconnect; since messages
 * sent meanwhile are lost, `onResync` tells the owner to drop what it may have missed.
 */
export class CacheInvalidationBus {
  /** Settles once the first subscription is in place (tests wait for it). */
  readonly subscribed: Promise<void>;
  private readonly origin = randomUUID();
  private readonly channel: string;
  private connectedBefore = false;
  private invalidated: (invalidation: Invalidation) => void = () => undefined;
  private resync: () => void = () => undefined;

  constructor(
    private readonly publisher: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly availability: RedisAvailability,
    keyPrefix: string,
  ) {
    this.channel = `${keyPrefix}cache:invalidate`;
    let markSubscribed: () => void = () => undefined;
    this.subscribed = new Promise((resolve) => (markSubscribed = resolve));
    // The publisher's guard reports outages; the subscriber's own errors would only repeat them.
    subscriber.on('error', () => undefined);
    subscriber.on('ready', () => {
      const reconnected = this.connectedBefore;
      this.connectedBefore = true;
      subscriber.subscribe(this.channel).then(() => {
        if (reconnected) this.resync();
        markSubscribed();
      }, () => undefined);
    });
    subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
  }

  /** Registers the (single) listener of other replicas' invalidations and of resyncs. */
  listen(invalidated: (invalidation: Invalidation) => void, resync: () => void): void {
    this.invalidated = invalidated;
    this.resync = resync;
  }

  async publish(invalidation: Invalidation): Promise<void> {
    const message: Message = { origin: this.origin, ...invalidation };
    await this.availability.run(async () => {
      await this.publisher.publish(this.channel, JSON.stringify(message));
    }, undefined);
  }

  close(): void {
    this.subscriber.disconnect();
  }

  private receive(text: string): void {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    if (message.origin === this.origin) return;
    if (Array.isArray(message.keys)) this.invalidated({ keys: message.keys.filter((k) => typeof k === 'string') });
    else if (typeof message.prefix === 'string') this.invalidated({ prefix: message.prefix });
  }
}

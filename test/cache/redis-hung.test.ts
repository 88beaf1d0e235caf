import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createCacheServices, type CacheServices } from '#cache';
import { configSchema } from '#config';
import { startRedis, type RedisProcess } from '../support/redis';
import { waitFor } from '../support/temp';
import { captureLogger, uniquePrefix } from './cache-fixtures';

/** A TCP relay to Redis that can stop passing bytes on (holding them) while the connection stays open. */
class FreezingRelay {
  frozen = false;
  /** Everything the client sent while the relay was frozen. */
  heldText = '';
  private readonly held: Array<() => void> = [];
  private readonly sockets = new Set<Socket>();
  private readonly server: Server;

  constructor(private readonly redisPort: number) {
    this.server = createServer((client) => {
      const upstream = connect(this.redisPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => this.sockets.delete(s));
      }
      const pass = (from: Socket, to: Socket, record: boolean): void => {
        from.on('data', (chunk: Buffer) => {
          if (!this.frozen) return void to.write(chunk);
          if (record) this.heldText += chunk.toString('latin1');
          this.held.push(() => to.write(chunk));
        });
      };
      pass(client, upstream, true);
      pass(upstream, client, false);
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as { port: number }).port;
  }

  thaw(): void {
    this.frozen = false;
    for (const write of this.held.splice(0)) write();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A Redis that stops answering without closing the connection: one call waits out the command timeout, no more. */
describe('cache services when Redis hangs', () => {
  let redis: RedisProcess;
  let relay: FreezingRelay;
  let services: CacheServices;
  const log = captureLogger();

  before(async () => {
    redis = await startRedis();
    relay = new FreezingRelay(redis.port);
    const port = await relay.listen();
    const config = configSchema.parse({
      redis: { url: `redis://127.0.0.1:${port}`, keyPrefix: uniquePrefix() },
      backends: { local: { type: 'local', path: '/nonexistent' } },
      routes: [{ prefix: '', backend: 'local' }],
    });
    services = createCacheServices(config, log.logger);
    await services.redisAvailability!.connected;
  });
  after(async () => {
    await services?.close();
    await relay?.close();
    await redis?.stop();
  });

  test('the first call times out into a miss; later calls do not reach Redis until it answers again', async () => {
    await services.store.set('hot', Buffer.from('cached'), 0);
    relay.frozen = true;
    // Waits for the client's command timeout, then answers as a miss.
    assert.equal(await services.store.get('first-cold-key'), undefined);
    assert.equal(log.count(/^redis unavailable: /), 1, log.messages().join('\n'));

    for (let i = 0; i < 50; i++) {
      assert.equal((await services.store.get('hot'))?.toString(), 'cached');
      assert.equal(await services.store.get(`later-cold-key-${i}`), undefined);
      await services.store.set(`later-write-${i}`, Buffer.from('x'), 1000);
      assert.ok(await services.locks.tryAcquire(`later-lock-${i}`, 1000));
    }
    assert.ok(relay.heldText.includes('first-cold-key'), 'the first call did try Redis');
    assert.doesNotMatch(relay.heldText, /later-/, 'no later call was sent to the hung Redis');
    assert.equal(log.count(/^redis unavailable: /), 1);

    relay.thaw();
    await waitFor('"redis available again"', async () => {
      await services.store.get('poke'); // traffic lets the guard probe with PING
      return log.count(/^redis available again/) === 1;
    }, 20_000);
    await services.store.set('after', Buffer.from('back'), 60_000);
    assert.equal((await services.redis!.get(`${services.keyPrefix}cache:after`)), 'back');
  });
});

import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { startGateway, type GatewayProcess } from '../support/gateway-process';
import { startRedis, type RedisProcess } from '../support/redis';

export const ADMIN = { username: 'admin', password: 'admin-Secret-2026' };
export const ADMIN_AUTHORIZATION = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

export interface AdminGateway {
  gateway: GatewayProcess;
  stop(): Promise<void>;
}

/**
 * A gateway with every admin controller mounted (auth with robots, a replication rule on a real
 * redis-server), logging Nest's route table (debug).
 */
export async function startAdminGateway(dir: string): Promise<AdminGateway> {
  const redis: RedisProcess = await startRedis();
  try {
    const gateway = await startGateway({
      server: { logLevel: 'debug' },
      redis: { url: redis.url, keyPrefix: `admin-api-${process.pid}:` },
      backends: { store: { type: 'local', path: join(dir, 'store') }, mirror: { type: 'local', path: join(dir, 'mirror') } },
      routes: [{ prefix: 'mirror/', backend: 'mirror' }, { prefix: '', backend: 'store' }],
      replication: {
        workers: 'external',
        rules: [{ name: 'to-mirror', source: { backend: 'store', repositories: ['**'] }, destinations: [{ backend: 'mirror' }], triggers: ['manual'] }],
      },
      auth: {
        users: [{ name: ADMIN.username, passwordHash: hashSync(ADMIN.password, 4), groups: ['ops'] }],
        rules: [{ name: 'operators', subjects: ['user:admin'], repositories: ['*'], actions: ['admin'] }],
        robots: { path: join(dir, 'robots.json'), maxTtl: '90d' },
      },
    });
    return { gateway, stop: async () => void (await gateway.stop().finally(() => redis.stop())) };
  } catch (err) {
    await redis.stop();
    throw err;
  }
}

import { join } from 'node:path';
import { hashSync } from 'bcryptjs';
import { startGateway, type GatewayProcess } from '../support/gateway-process';

export const ADMIN = { username: 'admin', password: 'admin-Secret-2026' };
export const ADMIN_AUTHORIZATION = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

/** A gateway with every admin controller mounted (auth with robots), logging Nest's route table (debug). */
export function startAdminGateway(dir: string): Promise<GatewayProcess> {
  return startGateway({
    server: { logLevel: 'debug' },
    backends: { store: { type: 'local', path: join(dir, 'store') } },
    routes: [{ prefix: '', backend: 'store' }],
    auth: {
      users: [{ name: ADMIN.username, passwordHash: hashSync(ADMIN.password, 4), groups: ['ops'] }],
      rules: [{ name: 'operators', subjects: ['user:admin'], repositories: ['*'], actions: ['admin'] }],
      robots: { path: join(dir, 'robots.json'), maxTtl: '90d' },
    },
  });
}

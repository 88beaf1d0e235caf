import { accessSync, constants } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { AuthConfig, GantryConfig } from './schema';

/** A problem with one key, reported like a schema issue. */
export interface PathIssue {
  path: string[];
  message: string;
}

/**
 * Makes every filesystem path of a validated configuration absolute against `baseDir` (the
 * config file's directory, like secret files), so that where Gantry writes does not depend on
 * the directory it was started from: `server.uploadSessions.path`, `server.tls.*File`, each
 * route's `blobCache.path`, each `type: local` backend's `path` and a GAR backend's `credentialsFile`, the auth section's key, robot and audit files and signature key files. `baseDir` undefined (embedded defaults): paths stay as they
 * are, relative to the working directory. A new object: zod hands out shared default objects.
 */
export function resolveConfigPaths(config: GantryConfig, baseDir: string | undefined): GantryConfig {
  const absolute = (path: string): string => (baseDir === undefined || isAbsolute(path) ? path : resolve(baseDir, path));
  const { server } = config;
  return {
    ...config,
    server: {
      ...server,
      uploadSessions: { ...server.uploadSessions, path: absolute(server.uploadSessions.path) },
      ...(server.tls ? { tls: { certFile: absolute(server.tls.certFile), keyFile: absolute(server.tls.keyFile) } } : {}),
    },
    ...(config.auth ? { auth: resolveAuthPaths(config.auth, absolute) } : {}),
    policies: config.policies.map((policy) =>
      policy.requireSignature
        ? {
            ...policy,
            requireSignature: {
              ...policy.requireSignature,
              keys: policy.requireSignature.keys.map((key) => (typeof key === 'string' ? absolute(key) : { ...key, file: absolute(key.file) })),
            },
          }
        : policy,
    ),
    routes: config.routes.map((route) =>
      route.blobCache ? { ...route, blobCache: { ...route.blobCache, path: absolute(route.blobCache.path) } } : route,
    ),
    backends: Object.fromEntries(
      Object.entries(config.backends).map(([name, backend]) => {
        if (backend.type === 'local') return [name, { ...backend, path: absolute(backend.path) }];
        if (backend.type === 'gar' && backend.credentialsFile) return [name, { ...backend, credentialsFile: absolute(backend.credentialsFile) }];
        return [name, backend];
      }),
    ),
  };
}

function resolveAuthPaths(auth: AuthConfig, absolute: (path: string) => string): AuthConfig {
  const audit = auth.audit.destination;
  return {
    ...auth,
    signingKey: { file: absolute(auth.signingKey.file), previous: auth.signingKey.previous.map(absolute) },
    robots: { ...auth.robots, path: absolute(auth.robots.path) },
    audit: { destination: audit === 'stdout' || audit === 'stderr' ? audit : absolute(audit) },
  };
}

/** The TLS files that cannot be read, as issues naming their keys. */
export function unreadableTlsFiles(config: GantryConfig): PathIssue[] {
  const tls = config.server.tls;
  if (!tls) return [];
  return (['certFile', 'keyFile'] as const).flatMap((key) => {
    try {
      accessSync(tls[key], constants.R_OK);
      return [];
    } catch (err) {
      return [{ path: ['server', 'tls', key], message: `cannot read ${tls[key]}: ${(err as NodeJS.ErrnoException).code ?? 'error'}` }];
    }
  });
}

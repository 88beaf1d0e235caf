import { LRUCache } from 'lru-cache';
import { isPlainObject, MediaType, type Platform } from '#oci';
import type { CompiledPolicy } from '../compiled-policy';
import type { PulledManifest } from '../pulled-manifest';
import { type CheckResult, fail, pass } from './check-result';

const IMAGE_CONFIG_TYPES: ReadonlySet<string> = new Set([MediaType.OCI_CONFIG, 'application/vnd.docker.container.image.v1+json']);
/** Image configs are small; history-heavy ones stay well under this. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * `platforms`: an image manifest's platform is its config's os/architecture/variant; an index is
 * allowed when at least one of its platforms is, since a client picks one child and that child is
 * checked on its own when it is pulled by digest. `os/arch` allows every variant of it.
 * Platforms are a property of the digest: they are remembered, bounded, without expiry.
 */
export class PlatformCheck {
  private readonly known = new LRUCache<string, string[]>({ max: 10_000 });

  async check(policy: CompiledPolicy, pulled: PulledManifest): Promise<CheckResult | undefined> {
    const allowed = policy.config.platforms;
    if (!allowed) return undefined;
    const platforms = await this.platformsOf(pulled);
    if (platforms.length === 0) return fail(`${pulled.digest} names no platform`);
    const match = platforms.find((platform) => allowed.some((pattern) => platformMatches(pattern, platform)));
    if (match) return pass(`platform ${match} is allowed`);
    return fail(platforms.length === 1 ? `platform ${platforms[0]} is not allowed` : `no allowed platform among ${platforms.join(', ')}`);
  }

  private async platformsOf(pulled: PulledManifest): Promise<string[]> {
    const cached = this.known.get(pulled.digest);
    if (cached) return cached;
    const parsed = await pulled.parsed();
    let platforms: string[] = [];
    if (parsed?.isIndex) {
      platforms = parsed.manifests.flatMap((child) => (child.platform && child.platform.os !== 'unknown' ? [platformName(child.platform)] : []));
    } else if (parsed?.config && IMAGE_CONFIG_TYPES.has(parsed.config.mediaType)) {
      const config: unknown = JSON.parse((await pulled.source.smallBlob(parsed.config, MAX_CONFIG_BYTES)).toString('utf8'));
      if (isPlainObject(config) && typeof config.os === 'string' && typeof config.architecture === 'string') {
        platforms = [platformName({ os: config.os, architecture: config.architecture, ...(typeof config.variant === 'string' ? { variant: config.variant } : {}) })];
      }
    }
    this.known.set(pulled.digest, platforms);
    return platforms;
  }
}

function platformName(platform: Pick<Platform, 'os' | 'architecture' | 'variant'>): string {
  return [platform.os, platform.architecture, ...(platform.variant ? [platform.variant] : [])].join('/');
}

/** `linux/arm64` allows `linux/arm64` and `linux/arm64/v8`; `linux/arm/v7` allows only itself. */
export function platformMatches(pattern: string, platform: string): boolean {
  return platform === pattern || (pattern.split('/').length === 2 && platform.startsWith(`${pattern}/`));
}

import type { Logger } from 'pino';
import { type Descriptor, filterReferrers, MediaType, OciError, readBounded, referrersFromIndex } from '#oci';
import { header } from './body';
import type { UpstreamClient } from './upstream-client';

/** `probe` until the upstream has answered once; then `api` or `tag-schema` for good. */
export type ReferrersMode = 'probe' | 'api' | 'tag-schema';

/** Referrers indexes can list many signatures and SBOMs; far more than a manifest's 4 MiB is suspect. */
const INDEX_LIMIT = 16 * 1024 * 1024;

/**
 * The OCI 1.1 referrers API of the upstream, and whether it has one. The spec forbids a 404 from
 * a registry that supports it, so a 404 (distribution 2.8) means "use the tag schema instead".
 */
export class NativeReferrers {
  constructor(
    private readonly client: UpstreamClient,
    private current: ReferrersMode,
    private readonly logger: Logger,
  ) {}

  get mode(): ReferrersMode {
    return this.current;
  }

  async supported(name: string, subject: string): Promise<boolean> {
    if (this.current !== 'probe') return this.current === 'api';
    return (await this.list(name, subject)) !== undefined;
  }

  /** The upstream's answer, or undefined when the tag schema must be used. */
  async list(name: string, digest: string, artifactType?: string): Promise<{ manifests: Descriptor[]; filtered: boolean } | undefined> {
    if (this.current === 'tag-schema') return undefined;
    const query = artifactType ? `?artifactType=${encodeURIComponent(artifactType)}` : '';
    const reply = await this.client.send({
      method: 'GET', url: `v2/${name}/referrers/${digest}${query}`, scopes: [`repository:${name}:pull`], op: 'referrers',
      headers: { accept: MediaType.OCI_INDEX }, expect: [200, 400, 404, 405],
    });
    const bytes = await readBounded(reply.body, INDEX_LIMIT, () => new OciError('UNAVAILABLE', `referrers index from backend ${this.client.backend} is too large`, { status: 502 }));
    if (reply.statusCode !== 200) {
      // NAME_UNKNOWN says nothing about the API (the repository is missing); 400 is about our request.
      if (reply.statusCode !== 400 && errorCode(bytes) !== 'NAME_UNKNOWN') this.learn('tag-schema');
      return undefined;
    }
    let manifests: Descriptor[];
    try {
      const entries = referrersFromIndex(bytes);
      manifests = entries.manifests;
      if (entries.skipped.length > 0) {
        this.logger.warn({ repository: name, subject: digest, skipped: entries.skipped.length, reasons: entries.skipped.slice(0, 3) }, 'referrers index entries skipped');
      }
    } catch {
      if (this.current === 'api') throw new OciError('UNAVAILABLE', `backend ${this.client.backend} sent an invalid referrers index`, { status: 502 });
      this.learn('tag-schema');
      return undefined;
    }
    this.learn('api');
    if (!artifactType) return { manifests, filtered: false };
    const applied = (header(reply.headers, 'oci-filters-applied') ?? '').split(',').some((f) => f.trim() === 'artifactType');
    // Filter ourselves when the upstream did not: the client asked for a filtered answer.
    return { manifests: applied ? manifests : filterReferrers(manifests, artifactType), filtered: true };
  }

  private learn(mode: 'api' | 'tag-schema'): void {
    if (this.current !== 'probe') return;
    this.current = mode;
    this.logger.info({ referrers: mode }, mode === 'api' ? 'upstream supports the referrers API' : 'upstream lacks the referrers API; using the tag schema');
  }
}

function errorCode(bytes: Buffer): string | undefined {
  try {
    const doc = JSON.parse(bytes.toString('utf8')) as { errors?: { code?: unknown }[] };
    const code = doc.errors?.[0]?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined;
  }
}

import type { Logger } from 'pino';
import { isOciError, MediaType, referrersFromIndex, referrersIndex, referrersTagFor, type Descriptor } from '#oci';
import type { SharedLock } from '../../port';

/** Reads and writes manifests by tag, in the upstream's own namespace. */
export interface TagManifestIo {
  /** The manifest under `tag`, or undefined when there is none. */
  get(name: string, tag: string): Promise<Buffer | undefined>;
  put(name: string, tag: string, bytes: Buffer, mediaType: string): Promise<void>;
}

/**
 * The OCI 1.1 referrers tag schema for upstreams without the referrers API: an image index
 * under the tag `<alg>-<hex>` of the subject lists every manifest that refers to it. Gantry keeps
 * it current when manifests with a subject are pushed or deleted through it.
 */
export class ReferrersTagSchema {
  /**
   * Read-modify-write of one index is serialised per subject inside this process, and across
   * replicas by `sharedLock` when the gateway has one (two replicas pushing referrers of one
   * subject would otherwise each write an index without the other's entry).
   */
  private readonly locks = new Map<string, Promise<void>>();

  constructor(
    private readonly io: TagManifestIo,
    private readonly logger: Logger,
    private readonly sharedLock?: SharedLock,
  ) {}

  async list(name: string, subject: string): Promise<Descriptor[]> {
    const bytes = await this.io.get(name, referrersTagFor(subject));
    return bytes ? this.parse(bytes, name, subject) : [];
  }

  /** Adds (or replaces, by digest) a referrer in the subject's index. */
  async add(name: string, subject: string, referrer: Descriptor): Promise<void> {
    await this.update(name, subject, (list) => [...list.filter((d) => d.digest !== referrer.digest), referrer]);
  }

  async remove(name: string, subject: string, digest: string): Promise<void> {
    await this.update(name, subject, (list) => (list.some((d) => d.digest === digest) ? list.filter((d) => d.digest !== digest) : undefined));
  }

  private async update(name: string, subject: string, change: (list: Descriptor[]) => Descriptor[] | undefined): Promise<void> {
    const key = `${name}@${subject}`;
    const previous = this.locks.get(key) ?? Promise.resolve();
    const rewrite = async (): Promise<void> => {
      const tag = referrersTagFor(subject);
      const current = await this.list(name, subject);
      const next = change(current);
      if (!next) return;
      // An emptied index is kept (not deleted): distribution 2.8 cannot delete a tag alone.
      const bytes = Buffer.from(JSON.stringify(referrersIndex(next)));
      await this.io.put(name, tag, bytes, MediaType.OCI_INDEX);
    };
    const sharedLock = this.sharedLock;
    const run = previous.then(() => (sharedLock ? sharedLock.withLock(`referrers:${key}`, rewrite) : rewrite()));
    const settled = run.catch(() => undefined);
    this.locks.set(key, settled);
    void settled.then(() => {
      if (this.locks.get(key) === settled) this.locks.delete(key);
    });
    await run;
  }

  /** Entries that fail validation are skipped (and so dropped at the next rewrite), never served. */
  private parse(bytes: Buffer, name: string, subject: string): Descriptor[] {
    try {
      const { manifests, skipped } = referrersFromIndex(bytes);
      if (skipped.length > 0) {
        this.logger.warn({ repository: name, subject, skipped: skipped.length, reasons: skipped.slice(0, 3) }, 'referrers index entries skipped');
      }
      return manifests;
    } catch (err) {
      // Someone else's content under the tag: treat as no referrers rather than failing pulls.
      this.logger.warn({ repository: name, subject, err: isOciError(err) ? err.message : String(err) }, 'referrers tag holds no valid index');
      return [];
    }
  }
}

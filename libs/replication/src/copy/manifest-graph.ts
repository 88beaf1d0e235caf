import { digestOf, isOciError, MANIFEST_MEDIA_TYPES, OciError, parseDigest, parseManifest, type ParsedManifest } from '#oci';
import type { ManifestContent, Registry } from '#registry';

/** One manifest of what a copy moves, with what must be at the destination before it and after it. */
export interface ManifestNode {
  content: ManifestContent;
  parsed: ParsedManifest;
  /** Children of an index: pushed before it. */
  children: ManifestNode[];
  /** Signatures, SBOMs, attestations of this manifest: pushed after it. */
  referrers: ManifestNode[];
  /** Tags this manifest carries at the source because it is a cosign tag-scheme artifact (`sha256-<hex>.sig`). */
  cosignTags: string[];
  isReferrer: boolean;
}

/** cosign's tag-scheme artifacts: `<alg>-<hex>.<suffix>` next to the subject. */
const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'] as const;

/**
 * Reads, at the source, everything one image consists of: the index, every platform manifest,
 * and every referrer of each of them (through the referrers API or its tag schema, and cosign's
 * tags), recursively. Manifests are small; blobs are not read here.
 */
export class ManifestGraphReader {
  private readonly nodes = new Map<string, ManifestNode>();

  constructor(
    private readonly registry: Registry,
    private readonly repository: string,
  ) {}

  /** Every manifest found, each once. */
  all(): ManifestNode[] {
    return [...this.nodes.values()];
  }

  async read(reference: string): Promise<ManifestNode> {
    const content = await this.fetchManifest(reference);
    return this.expand(content, false);
  }

  private async expand(content: ManifestContent, isReferrer: boolean): Promise<ManifestNode> {
    const known = this.nodes.get(content.digest);
    if (known) return known;
    const node: ManifestNode = {
      content, parsed: parseManifest(content.bytes, content.mediaType), children: [], referrers: [], cosignTags: [], isReferrer,
    };
    this.nodes.set(content.digest, node);
    node.children = await Promise.all(node.parsed.manifests.map(async (child) => this.expand(await this.fetchManifest(child.digest), false)));
    const [listed, tagged] = await Promise.all([this.listedReferrers(content.digest), this.cosignArtifacts(content.digest)]);
    for (const referrer of listed) {
      const child = await this.expand(referrer, true);
      if (!node.referrers.includes(child)) node.referrers.push(child);
    }
    for (const { tag, content: artifact } of tagged) {
      const child = await this.expand(artifact, true);
      if (!child.cosignTags.includes(tag)) child.cosignTags.push(tag);
      if (!node.referrers.includes(child)) node.referrers.push(child);
    }
    return node;
  }

  private async listedReferrers(digest: string): Promise<ManifestContent[]> {
    let listed;
    try {
      listed = await this.registry.listReferrers(this.repository, digest);
    } catch (err) {
      if (isOciError(err) && (err.code === 'UNSUPPORTED' || err.code === 'NAME_UNKNOWN' || err.code === 'MANIFEST_UNKNOWN')) return [];
      throw err;
    }
    return Promise.all(listed.manifests.map((d) => this.fetchManifest(d.digest)));
  }

  private async cosignArtifacts(digest: string): Promise<{ tag: string; content: ManifestContent }[]> {
    const { algorithm, hex } = parseDigest(digest);
    const found = await Promise.all(COSIGN_SUFFIXES.map(async (suffix) => {
      const tag = `${algorithm}-${hex}.${suffix}`;
      const content = await this.fetchIfTagged(tag);
      return content && { tag, content };
    }));
    return found.filter((f) => f !== undefined);
  }

  private async fetchIfTagged(tag: string): Promise<ManifestContent | undefined> {
    try {
      return await this.fetchManifest(tag);
    } catch (err) {
      if (isOciError(err) && (err.code === 'MANIFEST_UNKNOWN' || err.code === 'NAME_UNKNOWN')) return undefined;
      throw err;
    }
  }

  /** A manifest's exact bytes, proven to be what its digest says (a copy must be byte-identical). */
  private async fetchManifest(reference: string): Promise<ManifestContent> {
    const content = await this.registry.getManifest(this.repository, reference, MANIFEST_MEDIA_TYPES);
    const expected = reference.includes(':') ? reference : content.digest;
    const actual = digestOf(content.bytes, parseDigest(expected).algorithm);
    if (actual !== expected) {
      throw new OciError('DIGEST_INVALID', `manifest ${this.repository}@${reference} from the source hashes to ${actual}, not ${expected}`);
    }
    return { bytes: content.bytes, mediaType: content.mediaType, digest: actual };
  }
}

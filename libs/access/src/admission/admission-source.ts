import { Readable } from 'node:stream';
import { type Descriptor, digestOf, MANIFEST_MEDIA_TYPES, OciError, parseDigest, readBounded } from '#oci';
import type { ManifestContent, Registry } from '#registry';

/**
 * Where admission reads what it needs (the pulled manifest, a config blob, signatures): the
 * route's Registry, the cache-decorated one, under the backend's name for the repository.
 */
export class AdmissionSource {
  constructor(
    readonly registry: Registry,
    readonly upstreamName: string,
  ) {}

  /** A manifest by digest or tag, every media type accepted; its digest is checked by the caller when it matters. */
  async manifest(reference: string): Promise<ManifestContent> {
    return this.registry.getManifest(this.upstreamName, reference, MANIFEST_MEDIA_TYPES);
  }

  /**
   * A small blob (a config, a signature payload or envelope), read whole and verified against its
   * digest. Bigger than `maxBytes` is refused before anything is read.
   */
  async smallBlob(descriptor: Descriptor, maxBytes: number): Promise<Buffer> {
    if (descriptor.size > maxBytes) throw new Error(`blob ${descriptor.digest} is ${descriptor.size} bytes, more than ${maxBytes}`);
    const tooLarge = (): Error => new Error(`blob ${descriptor.digest} is larger than ${maxBytes} bytes`);
    const body = await this.registry.getBlob(this.upstreamName, descriptor.digest);
    let bytes: Buffer;
    if (body.kind === 'stream') {
      bytes = await readBounded(body.stream, maxBytes, tooLarge);
    } else {
      // Presigned storage: the backend vetted the location; no credential goes with it.
      const res = await fetch(body.location, { redirect: 'follow' });
      if (!res.ok || !res.body) throw new OciError('UNAVAILABLE', `blob ${descriptor.digest}: storage answered ${res.status}`);
      bytes = await readBounded(Readable.fromWeb(res.body), maxBytes, tooLarge);
    }
    if (digestOf(bytes, parseDigest(descriptor.digest).algorithm) !== descriptor.digest) {
      throw new Error(`blob ${descriptor.digest} does not match its digest`);
    }
    return bytes;
  }
}

import { digestOf, type ParsedManifest, parseDigest, parseManifest } from '#oci';
import type { AdmissionRequest } from '../admission';
import type { AdmissionSource } from './admission-source';
import { SIGNATURE_LAYER_TYPES } from './signatures/signature-formats';

/**
 * The manifest a request is about to return, read once and only when a check needs its content:
 * a GET hands its bytes over; a HEAD has them read through the (cached) registry.
 */
export class PulledManifest {
  private parsing?: Promise<ParsedManifest | undefined>;

  constructor(
    readonly request: AdmissionRequest,
    readonly source: AdmissionSource,
  ) {}

  get digest(): string {
    return this.request.digest;
  }

  /**
   * The bytes a GET is about to send are the ones its digest names: a signature vouches for a
   * digest, so bytes that do not match it must not ride on it. (A HEAD sends no bytes.)
   */
  servedBytesMatch(): boolean {
    const bytes = this.request.manifest;
    return !bytes || digestOf(bytes, parseDigest(this.digest).algorithm) === this.digest;
  }

  /** The manifest parsed, or undefined when it cannot be (Docker schema 1, not JSON): no platform, no signature artifact. */
  parsed(): Promise<ParsedManifest | undefined> {
    this.parsing ??= (async () => {
      const bytes = this.request.manifest ?? (await this.source.manifest(this.request.digest)).bytes;
      try {
        return parseManifest(bytes, this.request.mediaType);
      } catch {
        return undefined;
      }
    })();
    return this.parsing;
  }

  /**
   * A signature is not something to run: an image manifest whose layers are all signature
   * payloads or envelopes (cosign's `.sig` manifests and referrers, Notary v2 signatures). Judged
   * on the content, never on a tag name, so an image tagged `sha256-….sig` gains nothing.
   */
  async isSignature(): Promise<boolean> {
    const parsed = await this.parsed();
    if (!parsed || parsed.isIndex) return false;
    const layers = parsed.blobs.slice(1);
    return layers.length > 0 && layers.every((layer) => SIGNATURE_LAYER_TYPES.has(layer.mediaType));
  }
}

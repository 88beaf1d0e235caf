import { isOciError, type Descriptor } from '#oci';
import type { Registry } from '#registry';
import type { CopyRequest, CopyResult, ImageCopier } from '../copy-contract';
import { BlobTransfer } from './blob-transfer';
import { ManifestGraphReader, type ManifestNode } from './manifest-graph';
import { ProgressMeter } from './progress-meter';
import { runLimited } from './run-limited';

/**
 * The copy engine: reads the whole image at the source (index, platform manifests, referrers),
 * moves every blob the destination lacks, in parallel, then pushes manifests children first and
 * subjects before their referrers, and sets the tag last: a destination tag never points at an
 * incomplete image, and a copy that dies half-way leaves only unreferenced content behind.
 */
export class RegistryImageCopier implements ImageCopier {
  async copy(request: CopyRequest): Promise<CopyResult> {
    const { source, destination, signal } = request;
    const meter = new ProgressMeter(request.onProgress);
    const graph = new ManifestGraphReader(source.registry, source.repository);
    const top = await graph.read(request.reference);
    const nodes = graph.all();
    signal?.throwIfAborted();

    const missing = await this.missingAtDestination(nodes, destination.registry, destination.repository);
    const blobs = uniqueBlobs(nodes.filter((n) => missing.has(n.content.digest)));
    meter.plan(blobs.length, blobs.reduce((sum, b) => sum + b.size, 0), nodes.length);

    const result: CopyResult = {
      digest: top.content.digest,
      manifests: nodes.filter((n) => !n.isReferrer).length,
      referrers: nodes.filter((n) => n.isReferrer).length,
      blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, bytesCopied: 0,
    };
    // One blob failing stops the others at their next chunk: the job fails (and retries) sooner,
    // and each keeps its session for the next attempt.
    const stopBlobs = new AbortController();
    const blobSignal = signal ? AbortSignal.any([signal, stopBlobs.signal]) : stopBlobs.signal;
    const transfer = new BlobTransfer({ ...request, signal: blobSignal, meter });
    await runLimited(blobs, request.blobConcurrency, async (blob) => {
      const outcome = await transfer.copy(blob.digest, blob.size).catch((err: unknown) => {
        stopBlobs.abort();
        throw err;
      });
      if (outcome === 'copied') {
        result.blobsCopied++;
        result.bytesCopied += blob.size;
      } else {
        if (outcome === 'mounted') result.blobsMounted++;
        else result.blobsSkipped++;
        // Progress is where the copy stands: a blob already there is done too.
        meter.bytes(blob.size);
      }
      meter.blobDone();
    });
    result.blobsSkipped += uniqueBlobs(nodes).length - blobs.length;

    const pushed = new Set<string>();
    const push = async (node: ManifestNode): Promise<void> => {
      if (pushed.has(node.content.digest)) return;
      pushed.add(node.content.digest);
      for (const child of node.children) await push(child);
      signal?.throwIfAborted();
      if (missing.has(node.content.digest)) {
        await destination.registry.putManifest(destination.repository, node.content.digest, node.content, node.parsed.subject);
      }
      for (const tag of node.cosignTags) await this.setTag(destination.registry, destination.repository, tag, node);
      meter.manifestDone();
      for (const referrer of node.referrers) await push(referrer);
    };
    await push(top);
    if (request.tag) await this.setTag(destination.registry, destination.repository, request.tag, top);
    meter.finish();
    return result;
  }

  /** Points `tag` at the node's manifest, unless the destination's tag already does. */
  private async setTag(registry: Registry, repository: string, tag: string, node: ManifestNode): Promise<void> {
    try {
      const current = await registry.statManifest(repository, tag, [node.content.mediaType]);
      if (current.digest === node.content.digest) return;
    } catch (err) {
      if (!isOciError(err) || (err.code !== 'MANIFEST_UNKNOWN' && err.code !== 'NAME_UNKNOWN')) throw err;
    }
    await registry.putManifest(repository, tag, node.content, node.parsed.subject);
  }

  /** Digests of the manifests the destination lacks; what it has, it has with all its blobs. */
  private async missingAtDestination(nodes: ManifestNode[], registry: Registry, repository: string): Promise<Set<string>> {
    const missing = new Set<string>();
    await runLimited(nodes, 8, async (node) => {
      try {
        await registry.statManifest(repository, node.content.digest, [node.content.mediaType]);
      } catch (err) {
        if (!isOciError(err) || (err.code !== 'MANIFEST_UNKNOWN' && err.code !== 'NAME_UNKNOWN')) throw err;
        missing.add(node.content.digest);
      }
    });
    return missing;
  }
}

/** Every distinct blob the manifests reference, biggest first (the long poles start early). */
function uniqueBlobs(nodes: ManifestNode[]): Descriptor[] {
  const byDigest = new Map<string, Descriptor>();
  for (const node of nodes) {
    for (const blob of node.parsed.blobs) {
      if (!isForeign(blob)) byDigest.set(blob.digest, blob);
    }
  }
  return [...byDigest.values()].sort((a, b) => b.size - a.size);
}

/** Non-distributable layers (Windows base layers) live at their `urls`, not in any registry. */
function isForeign(blob: Descriptor): boolean {
  return /foreign|nondistributable/.test(blob.mediaType);
}

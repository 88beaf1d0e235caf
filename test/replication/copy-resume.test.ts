import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { isOciError } from '#oci';
import { type Registry } from '#registry';
import { RegistryImageCopier, type CopyProgress, type CopyRequest } from '#replication/runtime';
import { startDistribution, type Distribution } from '../support/distribution';
import { startRecordingFront, type RecordingFront } from '../support/recording-front';
import { imageManifest, randomBlob } from '../support/v2-client';
import { intoRegistry, MemoryResumeStore, registryAt } from './copy-fixtures';

const CHUNK = 256 * 1024;

describe('copy engine: a layer above the threshold goes up in chunks and a new attempt resumes', () => {
  let a: Distribution;
  let b: Distribution;
  let front: RecordingFront;
  let source: Registry;
  let destination: Registry;

  before(async () => {
    [a, b] = await Promise.all([startDistribution(), startDistribution()]);
    front = await startRecordingFront(b.url);
    source = await registryAt(a.url, 'a');
    destination = await registryAt(front.url, 'b');
  });
  after(async () => {
    await source?.close();
    await destination?.close();
    await front?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  /** An image with one small config and one layer of exactly three chunks. */
  async function pushBigLayerImage(repository: string): Promise<{ layer: ReturnType<typeof randomBlob>; manifest: ReturnType<typeof imageManifest> }> {
    const pusher = intoRegistry(source);
    const config = randomBlob(100);
    const layer = randomBlob(3 * CHUNK);
    await pusher.pushBlob(repository, config);
    await pusher.pushBlob(repository, layer);
    const manifest = imageManifest(config, [layer]);
    await pusher.pushManifest(repository, 'v1', manifest, 'application/vnd.oci.image.manifest.v1+json');
    return { layer, manifest };
  }

  function request(repository: string, resume: MemoryResumeStore, signal?: AbortSignal): CopyRequest {
    return {
      source: { registry: source, repository }, reference: 'v1',
      destination: { registry: destination, repository }, tag: 'v1',
      chunkThresholdBytes: CHUNK, chunkBytes: CHUNK, blobConcurrency: 2, resume, signal,
    };
  }

  /**
   * Aborts the copy once the destination has stored the layer's first chunk but before the copier
   * hears so, as a worker shutting down mid-chunk would. (Aborting as the PATCH arrived raced the
   * chunk's own bytes: sometimes none of them reached the destination.)
   */
  function abortOnFirstChunk(): AbortController {
    const controller = new AbortController();
    front.onUpstreamAnswer = (r) => {
      if (r.method === 'PATCH') controller.abort();
    };
    return controller;
  }

  test('the second attempt continues at the destination\'s offset: it sends two chunks, not three', async () => {
    const { layer, manifest } = await pushBigLayerImage('resume/one');
    const resume = new MemoryResumeStore();
    front.reset();
    const controller = abortOnFirstChunk();
    await assert.rejects(new RegistryImageCopier().copy(request('resume/one', resume, controller.signal)), { name: 'AbortError' });
    front.onUpstreamAnswer = undefined;
    assert.equal(front.uploadBytes(), CHUNK + 100, 'the first attempt sent the config and one chunk');
    assert.ok(resume.states.has(layer.digest), 'the session is remembered');
    await assert.rejects(destination.getManifest('resume/one', 'v1', []), (err) => isOciError(err) && err.code === 'MANIFEST_UNKNOWN');

    front.reset();
    const progress: CopyProgress[] = [];
    const result = await new RegistryImageCopier().copy({ ...request('resume/one', resume), onProgress: (p) => progress.push(p) });
    assert.equal(front.uploadBytes(), 2 * CHUNK, 'only the two missing chunks went up');
    assert.equal(front.requests.filter((r) => r.method === 'PATCH').length, 2);
    assert.equal(result.blobsCopied, 1);
    assert.equal(result.blobsSkipped, 1, 'the config was already there');
    assert.deepEqual(progress.at(-1), {
      blobsDone: 2, blobsTotal: 2, bytesDone: 3 * CHUNK + 100, bytesTotal: 3 * CHUNK + 100, manifestsDone: 1, manifestsTotal: 1,
    }, 'the final progress counts what was already there and the resumed bytes too');
    assert.equal(resume.states.size, 0, 'the resume state is gone once the layer is complete');
    assert.equal((await destination.statBlob('resume/one', layer.digest)).size, layer.bytes.length);
    assert.equal((await destination.getManifest('resume/one', 'v1', [])).digest, manifest.digest);
  });

  test('a session the destination no longer knows is started over', async () => {
    const { layer } = await pushBigLayerImage('resume/two');
    const resume = new MemoryResumeStore();
    const controller = abortOnFirstChunk();
    await assert.rejects(new RegistryImageCopier().copy(request('resume/two', resume, controller.signal)), { name: 'AbortError' });
    front.onUpstreamAnswer = undefined;
    await destination.cancelUpload('resume/two', resume.states.get(layer.digest)!.handle);

    front.reset();
    await new RegistryImageCopier().copy(request('resume/two', resume));
    assert.equal(front.uploadBytes(), 3 * CHUNK, 'the whole layer went up again');
    assert.equal((await destination.statBlob('resume/two', layer.digest)).size, layer.bytes.length);
  });

  test('a source that dies in the middle of a chunk: the bytes that reached the destination are kept, the next attempt sends only the rest', async () => {
    const { layer, manifest } = await pushBigLayerImage('resume/three');
    const sourceFront = await startRecordingFront(a.url);
    const viaFront = await registryAt(sourceFront.url, 'a-front');
    try {
      const resume = new MemoryResumeStore();
      let layerReads = 0;
      sourceFront.onRequest = (r) => {
        if (r.method === 'GET' && r.path.endsWith(layer.digest) && ++layerReads === 2) sourceFront.breakBlobReadsAfter = CHUNK / 2;
      };
      front.reset();
      await assert.rejects(new RegistryImageCopier().copy({ ...request('resume/three', resume), source: { registry: viaFront, repository: 'resume/three' } }));
      const firstAttempt = front.uploadBytes() - 100;
      assert.ok(firstAttempt > CHUNK && firstAttempt < 2 * CHUNK, `the first attempt sent one chunk and part of the next (${firstAttempt} bytes)`);
      const saved = resume.states.get(layer.digest);
      assert.ok(saved, 'the session is remembered');
      const held = (await destination.uploadStatus('resume/three', saved.handle)).size;
      assert.ok(held > CHUNK, `the destination kept the partial chunk (${held} bytes)`);

      sourceFront.onRequest = undefined;
      sourceFront.breakBlobReadsAfter = undefined;
      front.reset();
      await new RegistryImageCopier().copy({ ...request('resume/three', resume), source: { registry: viaFront, repository: 'resume/three' } });
      assert.equal(front.uploadBytes(), 3 * CHUNK - held, 'exactly the rest went up');
      assert.equal((await destination.statBlob('resume/three', layer.digest)).size, layer.bytes.length);
      assert.equal((await destination.getManifest('resume/three', 'v1', [])).digest, manifest.digest);
    } finally {
      await viaFront.close();
      await sourceFront.stop();
    }
  });

  test('a saved state the session has moved past (a chunk whose answer never came) is started over', async () => {
    const { layer } = await pushBigLayerImage('resume/four');
    const started = await destination.startUpload('resume/four');
    const first = await destination.writeChunk('resume/four', started.handle, { body: Readable.from([layer.bytes.subarray(0, CHUNK)]), offset: 0, length: CHUNK });
    // The next chunk went up but the worker died before it saved the new state.
    await destination.writeChunk('resume/four', first.handle, { body: Readable.from([layer.bytes.subarray(CHUNK, 2 * CHUNK)]), offset: CHUNK, length: CHUNK });
    const resume = new MemoryResumeStore();
    await resume.set({ digest: layer.digest, handle: first.handle });

    front.reset();
    await new RegistryImageCopier().copy(request('resume/four', resume));
    assert.equal(front.uploadBytes(), 3 * CHUNK + 100, 'the layer went up from byte 0 in a new session (and the config)');
    assert.equal((await destination.statBlob('resume/four', layer.digest)).size, layer.bytes.length);
    assert.equal(resume.states.size, 0);
  });
});

/**
 * Replication benchmark (not a test): a 1 GiB image (8 gzip layers of 128 MiB) copied between
 * two local distribution registries by the copy engine (in this process, the configuration's
 * default chunking and blob concurrency) and by `skopeo copy`, in the same run, alternating which
 * goes first, each round into fresh destination registries. Prints a markdown table.
 *
 *   node dist/test/bench/replication-bench.js     (also a section of `npm run bench`)
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { createGzip } from 'node:zlib';
import pino from 'pino';
import { configSchema } from '#config';
import { createBackend } from '#registry';
import { RegistryImageCopier, type CopyResult } from '#replication';
import { startDistribution, type Distribution } from '../support/distribution';
import { MIB, peakRssDuring, rssOf } from '../support/rss';
import { tempDir } from '../support/temp';
import { requireTool } from '../support/tools';
import { SyntheticBlob } from './synthetic-blob';
import { markdownTable } from './table';

const LAYERS = 8;
const LAYER_BYTES = 128 * MIB;
const ROUNDS = 2;
const REPOSITORY = 'bench/big';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const silent = { level: 'silent' } as const;

/**
 * How the engine is driven: one copy, in this process, with the configuration's defaults. The
 * place to switch to a replication job run by a worker process once that exists.
 */
export async function replicateWithEngine(sourceUrl: string, destinationUrl: string, repository: string, tag: string): Promise<CopyResult> {
  const config = configSchema.parse({
    backends: { src: { type: 'registry', url: sourceUrl }, dst: { type: 'registry', url: destinationUrl } },
    routes: [{ prefix: '', backend: 'src' }],
    replication: {},
  });
  const logger = pino(silent);
  const source = await createBackend('src', config.backends.src!, logger);
  const destination = await createBackend('dst', config.backends.dst!, logger);
  try {
    const tuning = config.replication!;
    return await new RegistryImageCopier().copy({
      source: { registry: source, repository }, reference: tag, destination: { registry: destination, repository }, tag,
      chunkThresholdBytes: tuning.chunkThreshold, chunkBytes: tuning.chunkSize, blobConcurrency: tuning.blobConcurrency,
    });
  } finally {
    await Promise.all([source.close(), destination.close()]);
  }
}

/** `skopeo copy` between the two registries, with no ambient credentials; resolves its pid at once. */
function skopeoCopy(sourceHost: string, destinationHost: string, repository: string, tag: string, home: string): { pid: number; done: Promise<void> } {
  const child = spawn(requireTool('skopeo'), [
    'copy', '--src-tls-verify=false', '--dest-tls-verify=false',
    `docker://${sourceHost}/${repository}:${tag}`, `docker://${destinationHost}/${repository}:${tag}`,
  ], { env: { ...process.env, HOME: home, XDG_RUNTIME_DIR: home }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`skopeo copy failed (${code}): ${stderr}`))));
  });
  return { pid: child.pid!, done };
}

/** Samples a child's RSS every 50 ms until it exits (peakRssDuring reads it once more after the work, when it is gone). */
async function peakRssUntilExit(pid: number, done: Promise<void>): Promise<number> {
  let peak = 0;
  const sample = (): void => {
    try {
      peak = Math.max(peak, rssOf(pid));
    } catch {
      // Exited between two samples.
    }
  };
  sample();
  const timer = setInterval(sample, 50);
  try {
    await done;
    return peak;
  } finally {
    clearInterval(timer);
  }
}

interface Layer {
  file: string;
  digest: string;
  diffId: string;
  size: number;
}

/**
 * A gzip layer (stored blocks: real gzip, so skopeo keeps it as it is, at the cost of no
 * compression) written to disk once, with its digest and the digest of its uncompressed content.
 */
async function writeLayer(dir: string, index: number): Promise<Layer> {
  const raw = new SyntheticBlob(LAYER_BYTES);
  const file = join(dir, `layer-${index}.tar.gz`);
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(raw.stream(), createGzip({ level: 0 }), new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  }), createWriteStream(file));
  return { file, digest: `sha256:${hash.digest('hex')}`, diffId: raw.digest, size };
}

async function seedSource(url: string, dir: string): Promise<number> {
  const registry = await createBackend('seed', configSchema.parse({ backends: { seed: { type: 'registry', url } }, routes: [{ prefix: '', backend: 'seed' }] }).backends.seed!, pino(silent));
  try {
    const layers: Layer[] = [];
    for (let i = 0; i < LAYERS; i++) layers.push(await writeLayer(dir, i));
    for (const layer of layers) await registry.putBlob(REPOSITORY, layer.digest, createReadStream(layer.file, { highWaterMark: MIB }), layer.size);
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) }, config: {} }));
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    await registry.putBlob(REPOSITORY, configDigest, Readable.from([config]), config.length);
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
    }));
    await registry.putManifest(REPOSITORY, 'v1', { bytes: manifest, mediaType: OCI_MANIFEST, digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` });
    return layers.reduce((sum, l) => sum + l.size, config.length);
  } finally {
    await registry.close();
  }
}

interface Totals {
  bytes: number;
  seconds: number;
  peakRss: number;
  /** RSS just before a run (the bench process holds more than the engine). */
  rssBefore: number;
}

export async function replicationSection(): Promise<string> {
  const work = tempDir('replication-bench');
  const running: Distribution[] = [];
  try {
    const source = await startDistribution();
    running.push(source);
    const imageBytes = await seedSource(source.url, work.path);
    const gantry: Totals = { bytes: 0, seconds: 0, peakRss: 0, rssBefore: 0 };
    const skopeo: Totals = { bytes: 0, seconds: 0, peakRss: 0, rssBefore: 0 };
    let copied: CopyResult | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const [forGantry, forSkopeo] = await Promise.all([startDistribution(), startDistribution()]);
      running.push(forGantry, forSkopeo);
      const runGantry = async (): Promise<void> => {
        gantry.rssBefore = Math.max(gantry.rssBefore, rssOf(process.pid));
        const started = performance.now();
        const { result, peak } = await peakRssDuring(process.pid, () => replicateWithEngine(source.url, forGantry.url, REPOSITORY, 'v1'));
        const seconds = (performance.now() - started) / 1000;
        gantry.seconds += seconds;
        process.stderr.write(`round ${round} gantry: ${seconds.toFixed(2)} s\n`);
        gantry.bytes += result.bytesCopied;
        gantry.peakRss = Math.max(gantry.peakRss, peak);
        copied = result;
      };
      const runSkopeo = async (): Promise<void> => {
        const home = tempDir('skopeo-home');
        try {
          const started = performance.now();
          const run = skopeoCopy(source.host, forSkopeo.host, REPOSITORY, 'v1', home.path);
          const peak = await peakRssUntilExit(run.pid, run.done);
          const seconds = (performance.now() - started) / 1000;
          skopeo.seconds += seconds;
          process.stderr.write(`round ${round} skopeo: ${seconds.toFixed(2)} s\n`);
          skopeo.bytes += imageBytes;
          skopeo.peakRss = Math.max(skopeo.peakRss, peak);
        } finally {
          home.remove();
        }
      };
      for (const run of round % 2 === 0 ? [runGantry, runSkopeo] : [runSkopeo, runGantry]) await run();
      await Promise.all([forGantry.stop(), forSkopeo.stop()]);
      running.splice(running.indexOf(forGantry), 2);
    }
    if (copied?.bytesCopied !== imageBytes) {
      throw new Error(`the engine copied ${copied?.bytesCopied} bytes of a ${imageBytes}-byte image`);
    }
    const rate = (t: Totals): number => t.bytes / 1e6 / t.seconds;
    const rows: (string | number)[][] = [
      [`copy 1 GiB image (${LAYERS}×128 MiB layers), ${ROUNDS} rounds: MB/s`, rate(gantry), rate(skopeo), gantry.seconds / skopeo.seconds],
      ['seconds per copy', gantry.seconds / ROUNDS, skopeo.seconds / ROUNDS, gantry.seconds / skopeo.seconds],
      ['peak RSS MiB (bench process / skopeo process)', gantry.peakRss / MIB, skopeo.peakRss / MIB, gantry.peakRss / skopeo.peakRss],
      ['RSS MiB just before the copy', gantry.rssBefore / MIB, '—', '—'],
    ];
    return [
      '### replication: the copy engine vs `skopeo copy`, distribution → distribution (target: time ratio ≤ 1.0)',
      '',
      markdownTable(['measure', 'Gantry copy engine', 'skopeo copy', 'ratio (time: Gantry/skopeo)'], rows),
      '',
      `Engine: in-process, replication defaults (chunks above 64 MiB of 16 MiB, 4 blobs in parallel); layers are gzip stored blocks (incompressible); ` +
        `${copied?.blobsCopied} blobs copied per round. RSS of the engine is that of the whole bench process.`,
    ].join('\n');
  } finally {
    await Promise.all(running.map((d) => d.stop()));
    work.remove();
  }
}

if (require.main === module) {
  replicationSection().then(
    (table) => process.stdout.write(`${table}\n`),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}

/**
 * Replication benchmark (not a test): a 1 GiB image (8 gzip layers of 128 MiB) copied between
 * two local distribution registries by Gantry — a replication job run by a worker process on a
 * real redis-server, enqueued through the gateway's admin API — and by `skopeo copy`, in the same
 * run, alternating which goes first, each round into fresh destination registries. Prints a
 * markdown table.
 *
 *   node dist/test/bench/replication-bench.js     (also section f of `npm run bench`)
 */
import type { CopyResult } from '#replication';
import { startDistribution, type Distribution } from '../support/distribution';
import { MIB } from '../support/rss';
import { tempDir } from '../support/temp';
import { seedBigImage } from './big-image';
import { skopeoCopy, type TimedCopy } from './skopeo-copy';
import { markdownTable } from './table';
import { WorkerReplication } from './worker-replication';

const LAYERS = 8;
const LAYER_BYTES = 128 * MIB;
const ROUNDS = 2;
const REPOSITORY = 'bench/big';
const TAG = 'v1';

interface Totals {
  bytes: number;
  seconds: number;
  peakRss: number;
}

const add = (totals: Totals, copy: TimedCopy, bytes: number): void => {
  totals.bytes += bytes;
  totals.seconds += copy.seconds;
  totals.peakRss = Math.max(totals.peakRss, copy.peakRss);
};

export async function replicationSection(): Promise<string> {
  const work = tempDir('replication-bench');
  const running: Distribution[] = [];
  try {
    const source = await startDistribution();
    running.push(source);
    const image = await seedBigImage(source.url, REPOSITORY, TAG, work.path, LAYERS, LAYER_BYTES);
    const gantry: Totals = { bytes: 0, seconds: 0, peakRss: 0 };
    const skopeo: Totals = { bytes: 0, seconds: 0, peakRss: 0 };
    let idleRss = 0;
    let queuedSeconds = 0;
    let copied: CopyResult | undefined;
    for (let round = 0; round < ROUNDS; round++) {
      const [forGantry, forSkopeo] = await Promise.all([startDistribution(), startDistribution()]);
      running.push(forGantry, forSkopeo);
      // Started before the clock runs, like a deployed worker waiting for jobs.
      const replication = await WorkerReplication.start(source.url, forGantry.url, REPOSITORY);
      try {
        const runGantry = async (): Promise<void> => {
          const copy = await replication.copy(REPOSITORY);
          process.stderr.write(`round ${round} gantry worker: ${copy.seconds.toFixed(2)} s\n`);
          if (copy.result.bytesCopied !== image.bytes) {
            throw new Error(`the worker copied ${copy.result.bytesCopied} bytes of a ${image.bytes}-byte image`);
          }
          add(gantry, copy, copy.result.bytesCopied);
          idleRss = Math.max(idleRss, copy.idleRss);
          queuedSeconds += copy.queuedSeconds;
          copied = copy.result;
        };
        const runSkopeo = async (): Promise<void> => {
          const copy = await skopeoCopy(source.host, forSkopeo.host, REPOSITORY, TAG);
          process.stderr.write(`round ${round} skopeo: ${copy.seconds.toFixed(2)} s\n`);
          add(skopeo, copy, image.bytes);
        };
        for (const run of round % 2 === 0 ? [runGantry, runSkopeo] : [runSkopeo, runGantry]) await run();
      } finally {
        await replication.stop();
      }
      await Promise.all([forGantry.stop(), forSkopeo.stop()]);
      running.splice(running.indexOf(forGantry), 2);
    }
    const rate = (t: Totals): number => t.bytes / 1e6 / t.seconds;
    const rows: (string | number)[][] = [
      ['seconds per copy', gantry.seconds / ROUNDS, skopeo.seconds / ROUNDS, gantry.seconds / skopeo.seconds],
      ['… of which before the worker took the job (run request, enqueue, pickup)', queuedSeconds / ROUNDS, '—', '—'],
      ['MB/s', rate(gantry), rate(skopeo), rate(gantry) / rate(skopeo)],
      ['peak RSS MiB during the copy (worker process / skopeo process)', gantry.peakRss / MIB, skopeo.peakRss / MIB, gantry.peakRss / skopeo.peakRss],
      ['worker RSS MiB, started and idle, just before the copy', idleRss / MIB, '—', '—'],
    ];
    return [
      `### f) replication: a Gantry worker vs \`skopeo copy\`, distribution → distribution, ${image.layers}×${image.layerBytes / MIB} MiB layers, ${ROUNDS} rounds (target: time ratio ≤ 1.0)`,
      '',
      markdownTable(['measure', 'Gantry (worker process)', 'skopeo copy', 'ratio (Gantry/skopeo)'], rows),
      '',
      'Gantry: a manual rule run through `POST /admin/v1/replication/run` on a gateway, copied by one `gantry worker` process ' +
        '(BullMQ on a redis-server), replication defaults (chunks above 64 MiB of 16 MiB, 4 blobs in parallel); time from the request ' +
        `to the job's finishedAt. skopeo: the process's wall time. Layers are gzip stored blocks (incompressible); ${copied?.blobsCopied} blobs copied per round.`,
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

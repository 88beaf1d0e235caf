import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often memory is looked at; a look costs under a microsecond. */
const TICK_MS = 10;
/** Growth of external memory since its last low point that earns a minor collection. */
export const EXTERNAL_STEP_BYTES = 8 * 1024 * 1024;
/** Growth of the used heap since its last low point that earns a full collection. */
export const HEAP_STEP_BYTES = 16 * 1024 * 1024;

export type Collect = (options: { type: 'minor' | 'major' }) => void;

/**
 * Decides when to collect: whenever a reading (bytes) grew by `step` since its last low point.
 * The look after a collection, once it freed what it could, sets the new low point.
 */
export class GarbagePace {
  private low = Number.POSITIVE_INFINITY;

  constructor(private readonly step: number) {}

  /** Answers whether a collection is due at this reading. */
  due(bytes: number): boolean {
    if (bytes > this.low + this.step) {
      this.low = Number.POSITIVE_INFINITY;
      return true;
    }
    this.low = Math.min(this.low, bytes);
    return false;
  }
}

/**
 * Keeps the gateway's garbage small, two ways.
 *
 * Streamed bytes: every socket read is a fresh 64 KiB ArrayBuffer, freed only when a collection
 * finds it dead; V8 runs a minor collection for the sake of those buffers only once about twice
 * its default semi-space of them is outstanding (64 MiB on these builds, whatever
 * `--max-semi-space-size` says), and glibc keeps the pages after. With many streams that garbage,
 * not live data, was most of the process (24 parallel pulls: 240 MiB peak without, 160 with). A
 * minor collection of the gateway's small young generation takes well under a millisecond, so one
 * runs whenever external memory grew by EXTERNAL_STEP_BYTES.
 *
 * Parsed documents: a large manifest push (hundreds of KiB of JSON, tens of thousands of objects)
 * outlives the young generation, and `--initial-old-space-size` lets such garbage fill the old
 * generation to about 96 MiB before V8 collects it (a flood of bad requests with a 400 KiB
 * manifest among them peaked at 275–286 MiB). A full collection runs whenever the used heap grew
 * by HEAP_STEP_BYTES (the same flood: 166–173 MiB). Streaming grows the heap too little to trigger
 * it; full collections paced by external memory instead kept V8 marking and halved streaming.
 * Answers a function that stops the pacer.
 */
export function startGarbagePacer(collect: Collect = collector()): () => void {
  const external = new GarbagePace(EXTERNAL_STEP_BYTES);
  const heap = new GarbagePace(HEAP_STEP_BYTES);
  const timer = setInterval(() => {
    const stats = getHeapStatistics();
    if (heap.due(stats.used_heap_size)) collect({ type: 'major' });
    else if (external.due(stats.external_memory)) collect({ type: 'minor' });
  }, TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * V8's `gc` without exposing it to the application's global scope: the flag is on only while a
 * fresh context picks the function up (the way Jest's leak detector obtains it).
 */
function collector(): Collect {
  const global = globalThis as { gc?: Collect };
  if (typeof global.gc === 'function') return global.gc;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as Collect;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

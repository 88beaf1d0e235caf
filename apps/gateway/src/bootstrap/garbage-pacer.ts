import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often memory is looked at; a look costs under a microsecond. */
const TICK_MS = 10;
/** Growth of external memory since its last low point that earns a minor collection. */
export const EXTERNAL_STEP_BYTES = 8 * 1024 * 1024;
/** Growth of the used heap since its last low point that earns a full collection. */
export const HEAP_STEP_BYTES = 16 * 1024 * 1024;
/** Growth of what minor collections leave of external memory that earns a full collection. */
export const PROMOTED_STEP_BYTES = 16 * 1024 * 1024;

/** V8's `gc` as `--expose-gc` gives it: synchronous, `regular` unless the flavor says otherwise. */
export type Collect = (options: { type: 'minor' | 'major'; flavor?: 'regular' | 'last-resort' }) => void;

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
 * Promoted buffers: a read that waits in a slow client's queue across two minor collections is
 * moved to the old generation, and only a full collection frees it. V8 charges those to the old
 * generation's 96 MiB limit, so with 24 slow clients 40–60 MiB of dead buffers sat there (5 MiB
 * were live), and glibc kept their pages. What a minor collection leaves of external memory is
 * live or promoted; a full collection runs whenever that grew by PROMOTED_STEP_BYTES (24 parallel
 * pulls with the clients busy hashing: 198–218 MiB peak before, ~162 after; 18 full collections
 * over 3 GiB streamed, and streaming rates unchanged).
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
  const promoted = new GarbagePace(PROMOTED_STEP_BYTES);
  let minorRan = false;
  const timer = setInterval(() => {
    const stats = getHeapStatistics();
    // Only the first look after a minor collection reads what it could not free.
    const afterMinor = minorRan;
    minorRan = false;
    if (heap.due(stats.used_heap_size) || (afterMinor && promoted.due(stats.external_memory))) {
      collect({ type: 'major' });
    } else if (external.due(stats.external_memory)) {
      collect({ type: 'minor' });
      minorRan = true;
    }
  }, TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Gives back the pages that loading left behind. Loading and wiring the modules leaves the old
 * generation a third empty (52 MiB of heap for 35 MiB live), and a regular full collection frees
 * dead objects without moving live ones together, so the pages stay. V8's last-resort collection
 * compacts them and returns the empty ones: idle gateway RSS 121 → 103 MiB, which is also 18 MiB
 * off every peak after it. It takes about 130 ms, once, before the gateway listens.
 */
export function compactHeap(collect: Collect = collector()): void {
  collect({ type: 'major', flavor: 'last-resort' });
}

/**
 * V8's `gc` without exposing it to the application's global scope: the flag is on only while a
 * fresh context picks the function up (the way Jest's leak detector obtains it).
 */
export function collector(): Collect {
  const global = globalThis as { gc?: Collect };
  if (typeof global.gc === 'function') return global.gc;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as Collect;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

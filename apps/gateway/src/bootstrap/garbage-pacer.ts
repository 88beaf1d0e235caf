import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** How often external memory is looked at; a look costs under a microsecond. */
const TICK_MS = 10;
/** Growth of external memory since its last low point that earns a minor collection. */
export const EXTERNAL_STEP_BYTES = 8 * 1024 * 1024;

export type MinorCollect = (options: { type: 'minor' }) => void;

/**
 * Decides when to collect: whenever external memory (ArrayBuffers) grew by EXTERNAL_STEP_BYTES
 * since its last low point. The look after a collection, once the sweep freed the buffers,
 * sets the new low point.
 */
export class GarbagePace {
  private low = Number.POSITIVE_INFINITY;

  /** Answers whether a minor collection is due at this reading of external memory. */
  due(external: number): boolean {
    if (external > this.low + EXTERNAL_STEP_BYTES) {
      this.low = Number.POSITIVE_INFINITY;
      return true;
    }
    this.low = Math.min(this.low, external);
    return false;
  }
}

/**
 * Keeps the garbage of streamed bytes small. Every socket read is a fresh 64 KiB ArrayBuffer,
 * freed only when a collection finds it dead; V8 runs a minor collection for the sake of those
 * buffers only once about twice its default semi-space of them is outstanding (64 MiB on these
 * builds, whatever `--max-semi-space-size` says), and glibc keeps the pages after. With many
 * streams that garbage, not live data, was most of the process (24 parallel pulls: 240 MiB
 * peak without, 160 with). A minor collection of the gateway's small young generation takes
 * well under a millisecond, so one runs whenever external memory grew by EXTERNAL_STEP_BYTES.
 * Full collections are left to V8: forcing them keeps it marking and halves streaming throughput.
 * Answers a function that stops the pacer.
 */
export function startGarbagePacer(collect: MinorCollect = minorCollector()): () => void {
  const pace = new GarbagePace();
  const timer = setInterval(() => {
    if (pace.due(getHeapStatistics().external_memory)) collect({ type: 'minor' });
  }, TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * V8's `gc` without exposing it to the application's global scope: the flag is on only while a
 * fresh context picks the function up (the way Jest's leak detector obtains it).
 */
function minorCollector(): MinorCollect {
  const global = globalThis as { gc?: MinorCollect };
  if (typeof global.gc === 'function') return global.gc;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as MinorCollect;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

import type { CopyProgress } from '../copy-contract';

/** At most this often a progress callback fires while a copy runs (plus a final one). */
const MIN_INTERVAL_MS = 250;

/**
 * Counts what a copy has done and tells the caller, throttled: job progress goes to Redis and a
 * layer moves thousands of chunks a second, so every byte cannot be a callback.
 */
export class ProgressMeter {
  readonly progress: CopyProgress = { blobsDone: 0, blobsTotal: 0, bytesDone: 0, bytesTotal: 0, manifestsDone: 0, manifestsTotal: 0 };
  private lastReport = 0;

  constructor(
    private readonly onProgress?: (progress: CopyProgress) => void,
    private readonly now: () => number = Date.now,
  ) {}

  plan(blobs: number, bytes: number, manifests: number): void {
    Object.assign(this.progress, { blobsTotal: blobs, bytesTotal: bytes, manifestsTotal: manifests });
    this.report(true);
  }

  bytes(n: number): void {
    this.progress.bytesDone += n;
    this.report(false);
  }

  blobDone(): void {
    this.progress.blobsDone++;
    this.report(false);
  }

  manifestDone(): void {
    this.progress.manifestsDone++;
    this.report(false);
  }

  /** The last word, whatever the throttle says. */
  finish(): void {
    this.report(true);
  }

  private report(force: boolean): void {
    if (!this.onProgress) return;
    const now = this.now();
    if (!force && now - this.lastReport < MIN_INTERVAL_MS) return;
    this.lastReport = now;
    this.onProgress({ ...this.progress });
  }
}

import { OciError } from '#oci';

/**
 * The one time budget of a logical upstream request: auth, every attempt and every backoff sleep
 * share it. Its signal aborts whatever is still running when it expires, with a 503 naming the
 * backend as the reason (undici hands the reason to the pending request or to its body stream).
 * While it is in `live`, shutdown can cut the request with `cancel` (a plain Set, not
 * AbortSignal.any: that keeps every request's signal alive as long as the long-lived source).
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly expiresAt: number;

  constructor(
    private readonly backend: string,
    readonly ms: number,
    private readonly live: Set<Deadline>,
  ) {
    this.expiresAt = Date.now() + ms;
    this.timer = setTimeout(() => this.controller.abort(this.exceeded()), ms);
    this.timer.unref();
    live.add(this);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  remainingMs(): number {
    return Math.max(0, this.expiresAt - Date.now());
  }

  /** Waits for `work` (shared with other requests, so not cancellable) no longer than the deadline. */
  async race<T>(work: Promise<T>): Promise<T> {
    const signal = this.signal;
    if (signal.aborted) throw signal.reason;
    let onAbort!: () => void;
    const expired = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The budget no longer applies (a blob's headers arrived: its bytes are bounded by idle time). */
  stopClock(): void {
    clearTimeout(this.timer);
  }

  /** The request is over, body included. */
  release(): void {
    clearTimeout(this.timer);
    this.live.delete(this);
  }

  /** Shutdown: nobody waits for this request any more. */
  cancel(reason: Error): void {
    this.controller.abort(reason);
  }

  private exceeded(): OciError {
    return new OciError('UNAVAILABLE', `backend ${this.backend} unreachable (no answer within the ${this.ms} ms request deadline)`);
  }
}

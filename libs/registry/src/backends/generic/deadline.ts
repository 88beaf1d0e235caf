import { OciError } from '#oci';

/**
 * The one time budget of a logical upstream request: auth, every attempt and every backoff sleep
 * share it. Its signal aborts whatever is still running when it expires, with a 503 naming the
 * backend as the reason (undici hands the reason to the pending request or to its body stream).
 * `cancel` (the client shutting down) aborts it too, also after `dispose()`.
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly expiresAt: number;

  constructor(
    private readonly backend: string,
    readonly ms: number,
    cancel: AbortSignal,
  ) {
    this.expiresAt = Date.now() + ms;
    // any() holds its sources weakly: one long-lived cancel signal gathers no listeners.
    this.signal = AbortSignal.any([this.controller.signal, cancel]);
    this.timer = setTimeout(() => this.controller.abort(this.exceeded()), ms);
    this.timer.unref();
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

  /** The request finished within its budget: stop the timer. */
  dispose(): void {
    clearTimeout(this.timer);
  }

  private exceeded(): OciError {
    return new OciError('UNAVAILABLE', `backend ${this.backend} unreachable (no answer within the ${this.ms} ms request deadline)`);
  }
}

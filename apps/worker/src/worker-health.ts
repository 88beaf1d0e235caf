/** What the worker's liveness is read from: its workers, and a Redis ping. */
export interface WorkerHealthDeps {
  workersRunning: () => boolean;
  ping: () => Promise<unknown>;
  /** Unhealthy when Redis has not answered a ping for this long (`replication.workerHealthWindow`). */
  windowMs: number;
  now?: () => number;
}

export interface WorkerHealthStatus {
  healthy: boolean;
  workers: 'running' | 'stopped';
  /** Seconds since Redis last answered a ping (since start, before the first answer). */
  redisSilentSeconds: number;
}

/** Pings this often at most; a quarter of the window, so that one lost ping is not an outage. */
const MAX_PING_INTERVAL_MS = 5000;

/**
 * The worker process's liveness: its BullMQ workers are running and Redis answered a ping within
 * the window. A ping left unanswered (BullMQ's connection waits while it reconnects) is not sent
 * again until it returns, so an outage holds one command, not one per interval.
 */
export class WorkerHealth {
  private lastAnswerAt: number;
  private pinging = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: WorkerHealthDeps) {
    this.now = deps.now ?? Date.now;
    this.lastAnswerAt = this.now();
  }

  start(): void {
    this.pingOnce();
    this.timer = setInterval(() => this.pingOnce(), Math.min(MAX_PING_INTERVAL_MS, Math.max(100, this.deps.windowMs / 4)));
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  status(): WorkerHealthStatus {
    const silentMs = this.now() - this.lastAnswerAt;
    const running = this.deps.workersRunning();
    return {
      healthy: running && silentMs <= this.deps.windowMs,
      workers: running ? 'running' : 'stopped',
      redisSilentSeconds: Math.round(silentMs / 100) / 10,
    };
  }

  private pingOnce(): void {
    if (this.pinging) return;
    this.pinging = true;
    this.deps.ping().then(
      () => {
        this.lastAnswerAt = this.now();
        this.pinging = false;
      },
      () => {
        this.pinging = false;
      },
    );
  }
}

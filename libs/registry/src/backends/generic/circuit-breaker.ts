import { OciError } from '#oci';
import type { Clock } from './clock';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit; 0 never opens it. */
  failures: number;
  /** How long an open circuit refuses requests before one probe may go through. */
  openSeconds: number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** What the admin API shows of a backend's circuit. */
export interface CircuitStatus {
  state: CircuitState;
  consecutiveFailures: number;
  /** While open: when the next probe may go through. */
  retryAt?: string;
}

/** How one admitted request ended, as far as the upstream's health goes. */
export type Outcome = 'success' | 'failure' | 'neutral';

/** A ticket for one admitted request; settle it exactly once. */
export interface Admission {
  settle(outcome: Outcome): void;
}

/**
 * A per-backend circuit breaker. After `failures` consecutive failures (the caller decides what a
 * failure is: network errors, timeouts, 5xx) requests fail fast with 503 UNAVAILABLE naming the
 * backend; after `openSeconds` one probe goes through (half-open): success closes the circuit,
 * failure opens it again. A `neutral` outcome (the client's own fault) changes nothing.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private consecutiveFailures = 0;
  private openUntil = 0;
  private probing = false;

  constructor(
    private readonly backend: string,
    private readonly options: CircuitBreakerOptions,
    private readonly clock: Clock,
  ) {}

  /** Lets a request through or throws the fail-fast error; the caller settles what it gets. */
  admit(): Admission {
    if (this.state === 'open' && this.clock() >= this.openUntil) this.state = 'half-open';
    if (this.state === 'open' || (this.state === 'half-open' && this.probing)) throw this.openError();
    const probe = this.state === 'half-open';
    if (probe) this.probing = true;
    let settled = false;
    return {
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        if (probe) this.probing = false;
        this.record(outcome, probe);
      },
    };
  }

  status(): CircuitStatus {
    const open = this.state === 'open' && this.clock() < this.openUntil;
    const state: CircuitState = this.state === 'open' && !open ? 'half-open' : this.state;
    return { state, consecutiveFailures: this.consecutiveFailures, ...(open ? { retryAt: new Date(this.openUntil).toISOString() } : {}) };
  }

  private record(outcome: Outcome, probe: boolean): void {
    if (outcome === 'success') {
      this.state = 'closed';
      this.consecutiveFailures = 0;
      return;
    }
    if (outcome === 'neutral') return;
    this.consecutiveFailures++;
    // A failed probe reopens at once; a request admitted before the circuit opened changes nothing more.
    if (probe || (this.state === 'closed' && this.options.failures > 0 && this.consecutiveFailures >= this.options.failures)) {
      this.state = 'open';
      this.openUntil = this.clock() + this.options.openSeconds * 1000;
    }
  }

  private openError(): OciError {
    const seconds = Math.max(1, Math.ceil((this.openUntil - this.clock()) / 1000));
    return new OciError(
      'UNAVAILABLE',
      `backend ${this.backend} is unavailable (circuit open after ${this.consecutiveFailures} failures; retry in ${seconds}s)`,
      { headers: { 'retry-after': String(seconds) } },
    );
  }
}

import type { AuditEvent } from '#access';

/** What the dashboard shows of a denied access decision: who, what, why, when; never a credential. */
export interface Denial {
  time: string;
  event: AuditEvent['event'];
  subject: string;
  action?: string;
  repository?: string;
  reference?: string;
  rule?: string;
  policy?: string;
  reason?: string;
  sourceAddress?: string;
}

export const DENIALS_KEPT = 100;

/** The latest denials, newest first, in a bounded ring (fed by DenialTeeSink). */
export class RecentDenials {
  private readonly ring: Denial[] = [];

  constructor(private readonly capacity = DENIALS_KEPT, private readonly now: () => Date = () => new Date()) {}

  add(event: AuditEvent): void {
    const { event: kind, subject, action, repository, reference, rule, policy, reason, sourceAddress } = event;
    const denial: Denial = { time: this.now().toISOString(), event: kind, subject };
    Object.assign(denial, defined({ action, repository, reference, rule, policy, reason, sourceAddress }));
    this.ring.push(denial);
    if (this.ring.length > this.capacity) this.ring.shift();
  }

  latest(limit = this.capacity): Denial[] {
    return this.ring.slice(-limit).reverse();
  }
}

function defined(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

import type { AccessAction } from './access-action';

/** One access decision, as one JSON line of the audit log. Never holds a credential or token. */
export interface AuditEvent {
  /** `login`, `token`, `request` (rules on a request), `admission` (a pull policy), `robot` (admin changes), `replication` (a copy that ended). */
  event: 'login' | 'token' | 'request' | 'admission' | 'robot' | 'replication';
  /** `user:alice`, `robot:ci`, `anonymous`. */
  subject: string;
  sourceAddress?: string;
  reqId?: string;
  action?: AccessAction | string;
  repository?: string;
  reference?: string;
  /** The manifest a pull admission decision was about. */
  digest?: string;
  backend?: string;
  /** Access decisions allow or deny; a replication event says how the copy ended. */
  decision: 'allow' | 'deny' | 'completed' | 'failed';
  /** The rule or policy that decided, by name. */
  rule?: string;
  policy?: string;
  reason?: string;
}

/** Where audit events go (a pino destination of their own; see auth.audit). */
export interface AuditSink {
  record(event: AuditEvent): void;
  /** Writes out what is buffered (at shutdown). */
  flush?(): void;
}

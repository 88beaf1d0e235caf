import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type AccessAction, type AuditSink, describeSubject, type RuleVerdict } from '#access';
import { assertValidName, OciError } from '#oci';
import { RouteTable } from '#routing';
import { AUDIT_SINK } from '../bootstrap/tokens';
import type { V2Route } from '../v2/v2-routes';
import { ACCESS_CONTROL, type AccessControl } from './access-control';
import { attemptedSubject, auditRequest } from './access-audit';
import { unauthorized } from './challenge';
import { identify } from './request-identity';
import { setRequestAccess } from './request-access';
import { v2Requirement } from './v2-requirement';

/**
 * Step 1 and 3 of the request path for the v2 API: who is asking, and may they? The same rules
 * that decided when the token was issued decide again now, so a changed rule or a revoked robot
 * takes effect within a token's lifetime. With a token, the request must also be inside its
 * scope. Without an `auth` section every request passes.
 */
@Injectable()
export class V2AccessGate {
  constructor(
    @Inject(ACCESS_CONTROL) private readonly access: AccessControl | null,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
    private readonly routes: RouteTable,
  ) {}

  async admit(req: FastifyRequest, route: V2Route | undefined): Promise<void> {
    const access = this.access;
    if (!access) return;
    const need = v2Requirement(req.method, route);
    if (need.kind === 'repository') assertValidName(need.repository);
    const scope = need.kind === 'login' ? undefined : need.scope;
    const repository = need.kind === 'repository' ? need.repository : undefined;
    const backend = repository === undefined ? undefined : this.backendOf(repository);
    const where = { ...(repository !== undefined ? { repository } : {}), ...(backend ? { backend } : {}) };
    const identity = await identify(access, req);
    if (!identity.ok) {
      this.audit.record({ event: 'request', subject: attemptedSubject(identity.username), sourceAddress: req.ip, reqId: req.id, ...where, decision: 'deny', reason: identity.reason });
      const invalidToken = identity.failure === 'invalid_token';
      throw unauthorized(access, req, invalidToken ? 'invalid or expired token' : 'authentication required', scope, invalidToken ? 'invalid_token' : undefined);
    }
    const { subject, token } = identity;
    if (need.kind === 'login') {
      const anonymous = subject.kind === 'anonymous';
      auditRequest(this.audit, req, subject, { decision: anonymous ? 'deny' : 'allow', reason: anonymous ? '/v2/ needs a login' : 'a valid login' });
      if (anonymous) throw unauthorized(access, req, 'authentication required');
      this.grant(req, access, identity);
      return;
    }
    const actions: readonly AccessAction[] = need.kind === 'catalog' ? ['catalog'] : need.actions;
    let decided: RuleVerdict | undefined;
    let outsideToken: AccessAction | undefined;
    for (const action of actions) {
      const verdict = access.rules.decide(subject, action, repository);
      if (!verdict.allowed) {
        auditRequest(this.audit, req, subject, { action, ...where, decision: 'deny', ...(verdict.rule ? { rule: verdict.rule } : {}), reason: verdict.reason });
        if (subject.kind === 'anonymous') throw unauthorized(access, req, 'authentication required', scope);
        throw new OciError('DENIED', `${describeSubject(subject)} may not ${action} ${repository ?? 'the catalog'}`, {
          detail: { repository, action },
        });
      }
      decided ??= verdict;
      if (token && outsideToken === undefined && !token.access.covers(repository, action)) outsideToken = action;
    }
    if (outsideToken !== undefined) {
      auditRequest(this.audit, req, subject, { action: outsideToken, ...where, decision: 'deny', reason: 'not in the token\'s scope' });
      throw unauthorized(access, req, `the token does not grant ${outsideToken} on ${repository ?? 'the catalog'}`, scope, 'insufficient_scope');
    }
    auditRequest(this.audit, req, subject, { action: actions.join(','), ...where, decision: 'allow', ...(decided?.rule ? { rule: decided.rule } : {}) });
    this.grant(req, access, identity);
  }

  /** What the handlers may ask later (catalog filtering, mount sources). */
  private grant(req: FastifyRequest, access: AccessControl, identity: Extract<Awaited<ReturnType<typeof identify>>, { ok: true }>): void {
    const { subject, token } = identity;
    const rulesAllow = (repository: string, action: AccessAction): boolean => access.rules.decide(subject, action, repository).allowed;
    setRequestAccess(req, {
      subject,
      rulesAllow,
      allows: (repository, action) => rulesAllow(repository, action) && (!token || token.access.covers(repository, action)),
    });
  }

  private backendOf(repository: string): string | undefined {
    try {
      return this.routes.resolve(repository).backend;
    } catch {
      return undefined;
    }
  }
}

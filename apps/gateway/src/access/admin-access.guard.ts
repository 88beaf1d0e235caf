import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { type AuditSink, describeSubject } from '#access';
import { OciError } from '#oci';
import { AUDIT_SINK } from '../bootstrap/tokens';
import { ACCESS_CONTROL, type AccessControl } from './access-control';
import { attemptedSubject, auditRequest } from './access-audit';
import { identify } from './request-identity';
import { setRequestAccess } from './request-access';

/**
 * `/admin/*` needs the `admin` action: Basic credentials (operators with curl) or a Gantry bearer
 * token. Without credentials the answer is a Basic challenge. Every other path passes through.
 */
@Injectable()
export class AdminAccessGuard implements CanActivate {
  constructor(
    @Inject(ACCESS_CONTROL) private readonly access: AccessControl | null,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const access = this.access;
    // By the route that matched, not the raw URL: no spelling of a path slips past.
    if (!access || !isAdminRoute(req)) return true;
    const challenge = { 'www-authenticate': `Basic realm="${access.auth.service}", charset="UTF-8"` };
    const identity = await identify(access, req);
    if (!identity.ok || identity.subject.kind === 'anonymous') {
      this.audit.record({ event: 'request', subject: identity.ok ? 'anonymous' : attemptedSubject(identity.username), sourceAddress: req.ip, reqId: req.id, action: 'admin', decision: 'deny', reason: identity.ok ? 'no credentials' : identity.reason });
      throw new OciError('UNAUTHORIZED', 'authentication required', { headers: challenge });
    }
    const { subject } = identity;
    const verdict = access.rules.decide(subject, 'admin');
    auditRequest(this.audit, req, subject, { action: 'admin', decision: verdict.allowed ? 'allow' : 'deny', ...(verdict.rule ? { rule: verdict.rule } : {}), reason: verdict.reason });
    if (!verdict.allowed) throw new OciError('DENIED', `${describeSubject(subject)} may not use the admin API`, { detail: { action: 'admin' } });
    setRequestAccess(req, {
      subject,
      rulesAllow: (repository, action) => access.rules.decide(subject, action, repository).allowed,
      allows: (repository, action) => access.rules.decide(subject, action, repository).allowed,
    });
    return true;
  }
}

function isAdminRoute(req: FastifyRequest): boolean {
  const route = req.routeOptions.url ?? req.url;
  return route === '/admin' || route.startsWith('/admin/');
}

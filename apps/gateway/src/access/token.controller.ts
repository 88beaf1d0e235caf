import { Controller, Get, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type AccessEntry, type AuditSink, formatScope, grantScopes, parseScopes, type Subject, TokenRejected } from '#access';
import { OciError, readBounded } from '#oci';
import { AUDIT_SINK } from '../bootstrap/tokens';
import { sendJson } from '../http/responses';
import { ACCESS_CONTROL, type AccessControl } from './access-control';
import { attemptedSubject, auditRequest } from './access-audit';
import { credentialsOf } from './credentials';

const MAX_FORM_BYTES = 64 * 1024;
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * The token service of the Docker token-auth spec: `GET /token` with Basic credentials (or none,
 * for what anonymous may do), `POST /token` with the OAuth2 password and refresh_token grants,
 * and the public keys at `/.well-known/jwks.json`. A token grants what was asked for AND what the
 * rules allow; bad credentials are one 401 whatever was wrong.
 */
@Controller()
export class TokenController {
  constructor(
    @Inject(ACCESS_CONTROL) private readonly access: AccessControl | null,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
  ) {}

  @Get('token')
  async getToken(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const access = this.enabled();
    const query = req.query as Record<string, string | string[] | undefined>;
    this.checkService(access, first(query.service));
    const credentials = credentialsOf(req.headers.authorization);
    let subject: Subject | undefined;
    if (credentials.kind === 'none') subject = { kind: 'anonymous', name: 'anonymous', groups: [] };
    else if (credentials.kind === 'basic') subject = await this.login(req, credentials.username, credentials.password);
    if (!subject) throw this.badCredentials(req, credentials.kind === 'basic' ? credentials.username : undefined);
    const granted = await this.grant(req, subject, list(query.scope));
    const issued = await access.tokens.issueAccessToken(subject, granted);
    // No refresh token here even with offline_token=true: docker would store it in place of the
    // password and stop working when it expires. POST /token with access_type=offline gives one.
    sendJson(reply, 200, tokenBody(issued), NO_STORE);
  }

  @Post('token')
  async postToken(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const access = this.enabled();
    const tooLarge = () => new OciError('SIZE_INVALID', 'the token request is too large', { status: 413 });
    const form = new URLSearchParams((await readBounded(req.raw, MAX_FORM_BYTES, tooLarge, 'drain')).toString('utf8'));
    this.checkService(access, form.get('service') ?? undefined);
    const grantType = form.get('grant_type');
    let subject: Subject | undefined;
    let username: string | undefined;
    if (grantType === 'password') {
      username = form.get('username') ?? '';
      subject = await this.login(req, username, form.get('password') ?? '');
    } else if (grantType === 'refresh_token') {
      subject = await this.refreshSubject(access, form.get('refresh_token') ?? '');
    } else {
      throw new OciError('UNSUPPORTED', 'grant_type must be password or refresh_token', { status: 400 });
    }
    if (!subject) throw this.badCredentials(req, username);
    const granted = await this.grant(req, subject, form.getAll('scope'));
    const issued = await access.tokens.issueAccessToken(subject, granted);
    const body: Record<string, unknown> = { ...tokenBody(issued), scope: granted.map(formatScope).join(' ') };
    if (form.get('access_type') === 'offline') {
      body.refresh_token = grantType === 'refresh_token' ? form.get('refresh_token') : (await access.tokens.issueRefreshToken(subject)).token;
    }
    sendJson(reply, 200, body, NO_STORE);
  }

  @Get('.well-known/jwks.json')
  jwks(@Res() reply: FastifyReply): void {
    sendJson(reply, 200, this.enabled().keys.jwks, { 'cache-control': 'max-age=300' });
  }

  private enabled(): AccessControl {
    if (!this.access) throw new OciError('NAME_UNKNOWN', 'this gateway has no token service (no auth section)', { status: 404 });
    return this.access;
  }

  private checkService(access: AccessControl, service: string | undefined): void {
    if (service !== undefined && service !== access.auth.service) {
      throw new OciError('UNSUPPORTED', `unknown service; this token service is "${access.auth.service}"`, { status: 400 });
    }
  }

  private async login(req: FastifyRequest, username: string, password: string): Promise<Subject | undefined> {
    const access = this.enabled();
    const subject = await access.authenticator.loginRemembered(username, password, { sourceAddress: req.ip, reqId: req.id });
    if (subject && (await access.authenticator.stillValid(subject))) return subject;
    return undefined;
  }

  private async refreshSubject(access: AccessControl, refreshToken: string): Promise<Subject | undefined> {
    try {
      const subject = await access.tokens.verifyRefreshToken(refreshToken);
      return (await access.authenticator.stillValid(subject)) ? subject : undefined;
    } catch (err) {
      if (err instanceof TokenRejected) return undefined;
      throw err;
    }
  }

  private async grant(req: FastifyRequest, subject: Subject, scopes: readonly string[]): Promise<AccessEntry[]> {
    const requested = parseScopes(scopes);
    const granted = grantScopes(this.enabled().rules, subject, requested);
    auditRequest(this.audit, req, subject, {
      event: 'token',
      decision: 'allow',
      reason: `granted [${granted.map(formatScope).join(' ')}] of [${requested.map(formatScope).join(' ')}]`,
    });
    return granted;
  }

  /** The same answer for every bad login: nothing tells a wrong password from an unknown user. */
  private badCredentials(req: FastifyRequest, username: string | undefined): OciError {
    this.audit.record({ event: 'login', subject: attemptedSubject(username), sourceAddress: req.ip, reqId: req.id, decision: 'deny', reason: 'bad credentials' });
    return new OciError('UNAUTHORIZED', 'authentication required', { headers: { 'www-authenticate': `Basic realm="${this.enabled().auth.service}", charset="UTF-8"` } });
  }
}

function tokenBody(issued: { token: string; expiresInSeconds: number; issuedAt: Date }): Record<string, unknown> {
  return { token: issued.token, access_token: issued.token, expires_in: issued.expiresInSeconds, issued_at: issued.issuedAt.toISOString() };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

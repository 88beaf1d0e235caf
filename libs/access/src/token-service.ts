import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { AccessEntry } from './access-action';
import { GrantedAccess } from './scope';
import type { SigningKeys } from './signing-keys';
import type { Grant, Subject, SubjectKind } from './subject';
import { TokenRejected } from './token-rejected';

export interface TokenSettings {
  issuer: string;
  /** The audience of every token: the `service` of the challenge. */
  service: string;
  tokenTtlMs: number;
  refreshTokenTtlMs: number;
}

export interface IssuedToken {
  token: string;
  expiresInSeconds: number;
  issuedAt: Date;
}

/** A token that passed every check, with what it says. */
export interface VerifiedToken {
  subject: Subject;
  access: GrantedAccess;
  expiresAt: number;
}

/** What Gantry puts in a token besides the registered claims, to rebuild the Subject on each request. */
interface SubjectClaims {
  kind: SubjectKind;
  groups: string[];
  claims?: Record<string, string>;
  grants?: Grant[];
  credential?: string;
}

const CLOCK_TOLERANCE_SECONDS = 5;
/** Verified access tokens kept; each is a few hundred bytes. */
const VERIFIED_CACHE_ENTRIES = 10_000;
const REFRESH_USE = 'refresh';

/**
 * Issues and verifies Gantry's JWTs (ES256): access tokens in the Docker token format, and
 * refresh tokens for the OAuth2 flow. A verified access token is remembered until it expires, so
 * a client that reuses its bearer pays for the signature check once.
 */
export class TokenService {
  private readonly verified = new LRUCache<string, VerifiedToken>({ max: VERIFIED_CACHE_ENTRIES });

  constructor(
    private readonly keys: SigningKeys,
    readonly settings: TokenSettings,
    private readonly now: () => number = Date.now,
  ) {}

  async issueAccessToken(subject: Subject, access: readonly AccessEntry[]): Promise<IssuedToken> {
    return this.sign({ ...subjectClaims(subject), access: access.map((e) => ({ ...e })) }, subject, this.settings.tokenTtlMs);
  }

  async issueRefreshToken(subject: Subject): Promise<IssuedToken> {
    return this.sign({ ...subjectClaims(subject), token_use: REFRESH_USE }, subject, this.settings.refreshTokenTtlMs);
  }

  async verifyAccessToken(token: string): Promise<VerifiedToken> {
    const cached = this.verified.get(token);
    if (cached && cached.expiresAt > this.now()) return cached;
    const payload = await this.verify(token);
    if (payload.token_use !== undefined || !Array.isArray(payload.access)) throw new TokenRejected('not an access token');
    const result: VerifiedToken = {
      subject: subjectOf(payload),
      access: new GrantedAccess(accessEntries(payload.access)),
      expiresAt: payload.exp! * 1000 + CLOCK_TOLERANCE_SECONDS * 1000,
    };
    this.verified.set(token, result, { ttl: Math.max(1, result.expiresAt - this.now()) });
    return result;
  }

  /** The subject a refresh token was issued to (the caller checks it is still valid). */
  async verifyRefreshToken(token: string): Promise<Subject> {
    const payload = await this.verify(token);
    if (payload.token_use !== REFRESH_USE) throw new TokenRejected('not a refresh token');
    return subjectOf(payload);
  }

  private async sign(claims: JWTPayload, subject: Subject, ttlMs: number): Promise<IssuedToken> {
    const issuedAt = new Date(this.now());
    const iat = Math.floor(issuedAt.getTime() / 1000);
    const expiresInSeconds = Math.max(1, Math.floor(ttlMs / 1000));
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: this.keys.current.kid, typ: 'JWT' })
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.service)
      .setSubject(subject.name)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + expiresInSeconds)
      .setJti(randomUUID())
      .sign(this.keys.current.privateKey);
    return { token, expiresInSeconds, issuedAt };
  }

  private async verify(token: string): Promise<JWTPayload> {
    try {
      const { kid } = decodeProtectedHeader(token);
      const key = kid === undefined ? undefined : this.keys.verifiers.get(kid);
      if (!key) throw new TokenRejected('unknown key id');
      const { payload } = await jwtVerify(token, key.publicKey, {
        algorithms: ['ES256'],
        issuer: this.settings.issuer,
        audience: this.settings.service,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(this.now()),
        requiredClaims: ['sub', 'exp', 'nbf', 'iat', 'jti'],
      });
      return payload;
    } catch (err) {
      if (err instanceof TokenRejected) throw err;
      throw new TokenRejected((err as { code?: string }).code ?? 'invalid token');
    }
  }
}

function subjectClaims(subject: Subject): SubjectClaims {
  return {
    kind: subject.kind,
    groups: [...subject.groups],
    ...(subject.claims ? { claims: { ...subject.claims } } : {}),
    ...(subject.grants ? { grants: subject.grants.map((g) => ({ repositories: [...g.repositories], actions: [...g.actions] })) } : {}),
    ...(subject.credentialId ? { credential: subject.credentialId } : {}),
  };
}

const SUBJECT_KINDS: readonly SubjectKind[] = ['anonymous', 'user', 'robot', 'oidc'];

function subjectOf(payload: JWTPayload): Subject {
  const { kind, groups, claims, grants, credential } = payload as JWTPayload & Partial<SubjectClaims>;
  if (!SUBJECT_KINDS.includes(kind!) || typeof payload.sub !== 'string') throw new TokenRejected('no subject');
  const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    kind: kind!,
    name: payload.sub,
    groups: stringList(groups),
    ...(claims && typeof claims === 'object' ? { claims: { ...claims } } : {}),
    ...(Array.isArray(grants)
      ? { grants: grants.map((g: Partial<Grant>) => ({ repositories: stringList(g?.repositories), actions: stringList(g?.actions) })) }
      : {}),
    ...(typeof credential === 'string' ? { credentialId: credential } : {}),
  };
}

function accessEntries(value: unknown[]): AccessEntry[] {
  return value.flatMap((e) => {
    const entry = e as Partial<AccessEntry>;
    if (typeof entry?.type !== 'string' || typeof entry.name !== 'string' || !Array.isArray(entry.actions)) return [];
    return [{ type: entry.type, name: entry.name, actions: entry.actions.filter((a): a is string => typeof a === 'string') }];
  });
}

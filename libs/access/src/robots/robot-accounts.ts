import { randomBytes } from 'node:crypto';
import { OciError } from '#oci';
import { ACCESS_ACTIONS, type AccessAction } from '../access-action';
import type { IdentityProvider, LoginContext } from '../identity-provider';
import type { Grant, Subject } from '../subject';
import { ROBOT_NAME, ROBOT_NAME_RULE, ROBOT_USERNAME_PREFIX, robotUsername, type RobotRecord } from './robot-record';
import { hashRobotSecret, newRobotSecret, robotSecretMatches } from './robot-secret';
import type { RobotStore } from './robot-store';

/**
 * How stale "this robot still exists" may be on a replica that did not revoke it, with a shared
 * (Redis) store: a revoked robot's tokens stop working on every replica within this bound.
 */
export const ROBOT_VALIDITY_CACHE_MS = 5_000;

export interface RobotAccountsOptions {
  /** auth.robots.maxTtl: the longest expiry a robot may be created with. */
  maxTtlMs: number;
  now?: () => number;
  /** Default ROBOT_VALIDITY_CACHE_MS for a shared store; a local store is always current. */
  validityCacheMs?: number;
}

export interface NewRobot {
  name: string;
  scope: readonly Grant[];
  expiresInMs: number;
  description?: string;
}

/** What creating a robot hands out, once: the secret is never shown again. */
export interface CreatedRobot {
  name: string;
  username: string;
  secret: string;
  expiresAt: Date;
}

/** A robot as the admin API lists it: no secret, no hash. */
export interface RobotView {
  name: string;
  username: string;
  scope: Grant[];
  description?: string;
  createdAt: Date;
  expiresAt: Date;
  expired: boolean;
}

interface Validity {
  /** undefined: no such robot. */
  record: Pick<RobotRecord, 'id' | 'expiresAt'> | undefined;
  checkedAt: number;
}

/**
 * Robot accounts: machine credentials created through the admin API, each with its own scope and
 * expiry. They log in as `robot+<name>` with the secret they were created with; their subject
 * carries the scope as grants.
 */
export class RobotAccounts implements IdentityProvider {
  readonly kind = 'robot';
  private readonly now: () => number;
  private readonly validityCacheMs: number;
  private readonly validity = new Map<string, Validity>();

  constructor(
    private readonly store: RobotStore,
    private readonly options: RobotAccountsOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.validityCacheMs = store.local ? 0 : (options.validityCacheMs ?? ROBOT_VALIDITY_CACHE_MS);
  }

  get storeKind(): RobotStore['kind'] {
    return this.store.kind;
  }

  /** Creates a robot and returns its secret: the only time it exists outside the caller's hands. */
  async create(robot: NewRobot): Promise<CreatedRobot> {
    this.check(robot);
    const secret = newRobotSecret();
    const createdAt = this.now();
    const record: RobotRecord = {
      name: robot.name,
      id: randomBytes(16).toString('base64url'),
      secretHash: hashRobotSecret(secret),
      scope: robot.scope.map((g) => ({ repositories: [...g.repositories], actions: [...g.actions] })),
      ...(robot.description !== undefined ? { description: robot.description } : {}),
      createdAt,
      expiresAt: createdAt + robot.expiresInMs,
    };
    if (!(await this.store.add(record))) {
      throw new OciError('DENIED', `robot "${robot.name}" already exists`, { status: 409, detail: { field: 'name' } });
    }
    this.validity.delete(robot.name);
    return { name: robot.name, username: robotUsername(robot.name), secret, expiresAt: new Date(record.expiresAt) };
  }

  async list(): Promise<RobotView[]> {
    const now = this.now();
    const robots = await this.store.list();
    return robots
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => ({
        name: r.name,
        username: robotUsername(r.name),
        scope: r.scope,
        ...(r.description !== undefined ? { description: r.description } : {}),
        createdAt: new Date(r.createdAt),
        expiresAt: new Date(r.expiresAt),
        expired: r.expiresAt <= now,
      }));
  }

  /** Removes a robot; its tokens stop working (at once here, within ROBOT_VALIDITY_CACHE_MS on other replicas). */
  async revoke(name: string): Promise<boolean> {
    if (!ROBOT_NAME.test(name)) return false;
    const removed = await this.store.remove(name);
    this.validity.delete(name);
    return removed;
  }

  /** The subject a robot logs in as, while it exists and has not expired (for explain). */
  async describe(name: string): Promise<Subject | undefined> {
    if (!ROBOT_NAME.test(name)) return undefined;
    const record = await this.store.get(name);
    return record && record.expiresAt > this.now() ? robotSubject(record) : undefined;
  }

  async authenticate(username: string, password: string, _context?: LoginContext): Promise<Subject | 'invalid' | undefined> {
    if (!username.startsWith(ROBOT_USERNAME_PREFIX)) return undefined;
    const name = username.slice(ROBOT_USERNAME_PREFIX.length);
    if (!ROBOT_NAME.test(name)) return 'invalid';
    const record = await this.store.get(name);
    // Unknown, expired and wrong secret all answer alike: the caller learns nothing about which.
    if (!record || record.expiresAt <= this.now() || !robotSecretMatches(password, record.secretHash)) return 'invalid';
    return robotSubject(record);
  }

  /**
   * False once the robot is revoked or expired, or was created again since (another credential
   * under the same name). Cheap: memory for the file store, a short cache for Redis.
   */
  async stillValid(subject: Subject): Promise<boolean> {
    if (subject.kind !== 'robot') return false;
    const now = this.now();
    let known = this.validity.get(subject.name);
    if (!known || now - known.checkedAt >= this.validityCacheMs) {
      const record = ROBOT_NAME.test(subject.name) ? await this.store.get(subject.name) : undefined;
      known = { record: record && { id: record.id, expiresAt: record.expiresAt }, checkedAt: now };
      if (this.validityCacheMs > 0) this.validity.set(subject.name, known);
    }
    const { record } = known;
    // A subject without a credential id (a token service that does not carry it) is checked by name and expiry only.
    return record !== undefined && record.expiresAt > now && (subject.credentialId === undefined || subject.credentialId === record.id);
  }

  /** Invariants the admin API validates first; checked again here for any other caller. */
  private check(robot: NewRobot): void {
    if (!ROBOT_NAME.test(robot.name)) throw invalid('name', ROBOT_NAME_RULE);
    if (!Number.isFinite(robot.expiresInMs) || robot.expiresInMs <= 0) throw invalid('expiresIn', 'must be a positive duration');
    if (robot.expiresInMs > this.options.maxTtlMs) {
      throw invalid('expiresIn', `must be at most auth.robots.maxTtl (${Math.floor(this.options.maxTtlMs / 1000)} seconds)`);
    }
    if (robot.scope.length === 0) throw invalid('scope', 'must grant at least one entry');
    robot.scope.forEach((grant, i) => {
      if (grant.repositories.length === 0 || grant.repositories.some((r) => r.length === 0)) {
        throw invalid(`scope[${i}].repositories`, 'must list at least one repository glob');
      }
      const unknown = grant.actions.find((a) => !ACCESS_ACTIONS.includes(a as AccessAction));
      if (grant.actions.length === 0 || unknown !== undefined) {
        throw invalid(`scope[${i}].actions`, `must list actions among ${ACCESS_ACTIONS.join(', ')}`);
      }
    });
  }
}

function robotSubject(record: RobotRecord): Subject {
  return { kind: 'robot', name: record.name, groups: [], grants: record.scope, credentialId: record.id };
}

function invalid(field: string, message: string): OciError {
  return new OciError('UNSUPPORTED', `${field}: ${message}`, { status: 400, detail: { field } });
}

import { randomBytes } from 'node:crypto';
import { compare, getRounds, hashSync } from 'bcryptjs';
import type { AuthConfig } from '#config';
import type { IdentityProvider } from './identity-provider';
import type { Subject } from './subject';

type UserConfig = AuthConfig['users'][number];

/** A bcrypt hash of a random password at cost 12, the usual one. */
const DUMMY_HASH_12 = '$2b$12$v.i2Q49/Z7.7U9FEriLiSuS8CcwwndBdpzAAOIOra07dK6yvsv9zK';

/** The users of `auth.users`: bcrypt password hashes in the config file. */
export class ConfigUsers implements IdentityProvider {
  readonly kind = 'user' as const;
  private readonly users: ReadonlyMap<string, UserConfig>;
  /**
   * An unknown user is compared against this hash, at the cost the configured users' hashes
   * have, so that neither the answer nor its timing tells whether a user exists.
   */
  private readonly dummyHash: string;

  constructor(users: readonly UserConfig[]) {
    this.users = new Map(users.map((u) => [u.name, u]));
    const cost = users.length > 0 ? getRounds(users[0]!.passwordHash) : 12;
    this.dummyHash = cost === 12 ? DUMMY_HASH_12 : hashSync(randomBytes(18).toString('base64'), cost);
  }

  async authenticate(username: string, password: string): Promise<Subject | 'invalid'> {
    const user = this.users.get(username);
    const matches = await compare(password, user?.passwordHash ?? this.dummyHash);
    if (!user || !matches) return 'invalid';
    return this.subjectOf(user);
  }

  /** The subject of a configured user without a password (explain answers); undefined when unknown. */
  describe(username: string): Subject | undefined {
    const user = this.users.get(username);
    return user ? this.subjectOf(user) : undefined;
  }

  /** A user removed from the config (after a restart) is no longer valid. */
  async stillValid(subject: Subject): Promise<boolean> {
    return this.users.has(subject.name);
  }

  private subjectOf(user: UserConfig): Subject {
    return { kind: 'user', name: user.name, groups: [...user.groups] };
  }
}

import { compare } from 'bcryptjs';
import type { AuthConfig } from '#config';
import type { IdentityProvider } from './identity-provider';
import type { Subject } from './subject';

type UserConfig = AuthConfig['users'][number];

/**
 * A bcrypt hash of a random password at the default cost: an unknown user is compared against
 * it, so that neither the answer nor its timing tells whether a user exists.
 */
const DUMMY_HASH = '$2b$12$v.i2Q49/Z7.7U9FEriLiSuS8CcwwndBdpzAAOIOra07dK6yvsv9zK';

/** The users of `auth.users`: bcrypt password hashes in the config file. */
export class ConfigUsers implements IdentityProvider {
  readonly kind = 'user' as const;
  private readonly users: ReadonlyMap<string, UserConfig>;

  constructor(users: readonly UserConfig[]) {
    this.users = new Map(users.map((u) => [u.name, u]));
  }

  async authenticate(username: string, password: string): Promise<Subject | 'invalid'> {
    const user = this.users.get(username);
    const matches = await compare(password, user?.passwordHash ?? DUMMY_HASH);
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

/** Who is asking, as every part of access control sees it once credentials are checked. */
export type SubjectKind = 'anonymous' | 'user' | 'robot' | 'oidc';

/** Extra allow entries a subject carries itself: a robot's scope, set when it was created. */
export interface Grant {
  repositories: readonly string[];
  actions: readonly string[];
}

export interface Subject {
  kind: SubjectKind;
  /** `alice` (user), `ci` (robot), `<issuer name>:<sub>` (OIDC), `anonymous`. */
  name: string;
  groups: readonly string[];
  /** OIDC only: the ID token's string claims, for `claim:<name>=<value>` rule subjects. */
  claims?: Readonly<Record<string, string>>;
  /** Robots only: the scope they were created with (allow entries; deny rules still apply). */
  grants?: readonly Grant[];
  /**
   * Robots only: which credential this is. A robot revoked and created again under the same name
   * (a leaked secret replaced) is another credential: tokens issued to the old one stay invalid.
   */
  credentialId?: string;
}

export const ANONYMOUS: Subject = Object.freeze({ kind: 'anonymous', name: 'anonymous', groups: [] });

/** `user:alice`, `robot:ci`, `oidc:github:repo:acme/app:ref:refs/heads/main`, `anonymous`: for logs and explain. */
export function describeSubject(subject: Subject): string {
  return subject.kind === 'anonymous' ? 'anonymous' : `${subject.kind}:${subject.name}`;
}

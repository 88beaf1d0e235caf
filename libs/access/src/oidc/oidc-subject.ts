import type { JWTPayload } from 'jose';
import type { Subject } from '../subject';
import type { OidcIssuerConfig } from './oidc-issuer-keys';

/**
 * The subject of a verified ID token: named `<issuer name>:<subjectClaim>`, with the groups its
 * claims map to (`groups: { repository_owner: { acme: ci-acme } }`) and its string claims (for
 * `claim:<name>=<value>` rules). Undefined when the token lacks the naming claim.
 */
export function oidcSubject(issuer: OidcIssuerConfig, payload: JWTPayload): Subject | undefined {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) if (typeof value === 'string') claims[name] = value;
  const id = claims[issuer.subjectClaim];
  if (id === undefined || id === '') return undefined;
  const groups = new Set<string>();
  for (const [claim, values] of Object.entries(issuer.groups)) {
    const value = claims[claim];
    const group = value !== undefined && Object.hasOwn(values, value) ? values[value] : undefined;
    if (group !== undefined) groups.add(group);
  }
  return { kind: 'oidc', name: `${issuer.name}:${id}`, groups: [...groups], claims };
}

// The light part of access control: what a gateway without `auth` uses too (subjects, scopes,
// rules, audit, pull admission). Identities and tokens (jose, bcryptjs, rate limiter, OIDC,
// robots) are in `#access/auth`, loaded only when the config has an `auth` section.
export * from './core';
// The heavy modules' types only: naming them loads nothing.
export type * from './signing-keys';
export type * from './token-service';
export type * from './config-users';
export type * from './authenticator';
export type * from './login-rate-limiter';
export type * from './robots';
export type * from './oidc';

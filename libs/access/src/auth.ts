// Identities and tokens: loaded (`#access/auth`) only with an `auth` section, for they pull in
// jose, bcryptjs and the rate limiter. Everything in `#access` comes with them.
export * from './core';
export * from './signing-keys';
export * from './token-service';
export * from './config-users';
export * from './authenticator';
export * from './login-rate-limiter';
export * from './robots';
export * from './oidc';

export * from './oidc-issuer-keys';
export * from './oidc-subject';
export * from './oidc-identities';

// What `#access` and `#access/auth` share: the light modules.
export * from './subject';
export * from './access-action';
export * from './identity-provider';
export * from './audit-event';
export * from './admission';
export * from './audit-log';
export * from './scope';
export * from './scope-grant';
export * from './access-rules';
export * from './access-explainer';
export * from './token-rejected';
export * from './robots/robot-record';
export * from './admission/index';

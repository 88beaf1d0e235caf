export * from './subject';
export * from './access-action';
export * from './identity-provider';
export * from './audit-event';
export * from './admission';
export * from './audit-log';
export * from './admission/index';

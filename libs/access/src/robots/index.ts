export * from './robot-record';
export * from './robot-secret';
export * from './robot-store';
export * from './file-robot-store';
export * from './redis-robot-store';
export * from './robot-accounts';
export * from './create-robot-accounts';

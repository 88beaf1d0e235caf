export * from './failover-registry';
export * from './primary-failure';

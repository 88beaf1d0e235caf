// What `#replication` and `#replication/runtime` share: the light modules.
export * from './copy-contract';
export * from './tag-filter';
export * from './rule-match';
export * from './replication-job';
export * from './replication-state';
export * from './replication-planner';
export * from './replication-jobs';
export * from './replication-audit';
export * from './queue-job-counts';
export * from './replication-metrics';

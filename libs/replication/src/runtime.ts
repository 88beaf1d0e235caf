// Queues, workers and the copy engine (bullmq): loaded (`#replication/runtime`) only when
// replication is configured. Everything in `#replication` comes with them.
export * from './core';
export * from './copy';
export * from './default-copier';
export * from './replication-queues';
export * from './replication-workers';
export * from './replication';

// The light part of replication: rules, job contracts, metrics and audit events, which a gateway
// without replication still names. The queues, workers and copy engine (bullmq) are in
// `#replication/runtime`, loaded only when the config has a `replication` section.
export * from './core';
// The heavy modules' types only: naming them loads nothing.
export type * from './copy';
export type * from './default-copier';
export type * from './replication-queues';
export type * from './replication-workers';
export type * from './replication';

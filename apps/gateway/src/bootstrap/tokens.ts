/** Injection tokens for values that are not classes. */
export const GANTRY_CONFIG = Symbol('GantryConfig');
export const BACKENDS = Symbol('Backends');
export const LOGGER = Symbol('Logger');
/** CacheServices (libs/cache): the cache store, locks and shared state of this gateway. */
export const CACHE_SERVICES = Symbol('CacheServices');
/** AuditSink (libs/access): where access decisions are recorded. */
export const AUDIT_SINK = Symbol('AuditSink');
/** Replication (libs/replication), present when rules are configured; absent otherwise. */
export const REPLICATION = Symbol('Replication');

export * from './cache-store';
export * from './lock-service';
export * from './memory-cache-store';
export * from './memory-lock-service';
export * from './redis-connection';
export * from './cache-services';
export * from './redis-lock-service';
export * from './blob-cache';

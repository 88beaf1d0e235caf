export * from './blob-cache';
export * from './blob-caching-registry';
export * from './disk-blob-cache';

export * from './registry-image-copier';
export * from './blob-transfer';
export * from './manifest-graph';

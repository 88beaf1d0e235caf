export * from './blobs';
export * from './listings';
export * from './manifests';
export * from './registry';
export * from './uploads';
export * from './cache-status';
export * from './shared-state';
export * from './served-by';

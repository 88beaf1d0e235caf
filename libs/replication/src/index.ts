export * from './copy-contract';
export * from './copy';

export * from './copy-contract';

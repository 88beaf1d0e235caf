export { LocalRegistry, type LocalRegistryConfig } from './local-registry';
export { collectGarbage, type GcOptions, type GcReport } from './garbage-collector';

export { LocalRegistry, type LocalRegistryConfig } from './local-registry';
export { collectGarbage, type GcOptions, type GcProgress, type GcReport } from './garbage-collector';

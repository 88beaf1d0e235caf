export * from './port';
export * from './create-backend';
export { collectGarbage, type GcOptions, type GcProgress, type GcReport } from './backends/local';
export * from './failover';

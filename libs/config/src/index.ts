export * from './schema';
export * from './load-config';
export { duration, byteSize } from './units';

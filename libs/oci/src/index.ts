export * from './errors';
export * from './media-types';
export * from './names';
export * from './digest';
export * from './reference';
export * from './manifest';
export * from './referrers';
export * from './pagination';

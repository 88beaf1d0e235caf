export * from './port';
export * from './create-backend';

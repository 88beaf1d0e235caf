/**
 * Epoch milliseconds as the token and credential caches see time. Backends take one so that a
 * test can move time past an expiry or a "just fetched" window instead of sleeping through it.
 */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

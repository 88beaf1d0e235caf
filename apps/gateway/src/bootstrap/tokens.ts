/** Injection tokens for values that are not classes. */
export const GANTRY_CONFIG = Symbol('GantryConfig');
export const BACKENDS = Symbol('Backends');
export const LOGGER = Symbol('Logger');

/** A token Gantry did not sign, or no longer accepts; the message is for logs, never for secrets. */
export class TokenRejected extends Error {}

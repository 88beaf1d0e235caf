import type { IncomingMessage } from 'node:http';

/** The request body broke off before its end: the client went away, or fell idle and was cut. */
export function bodyBrokeOff(req: IncomingMessage): boolean {
  return !req.complete && (req.destroyed || req.readableAborted);
}

/**
 * Thrown where a handler notices that its request's body broke off although the backend took
 * what arrived: there is nobody left to answer, and nothing went wrong on Gantry's side.
 */
export class BodyBrokeOff extends Error {
  constructor() {
    super('the request body broke off');
    this.name = 'BodyBrokeOff';
  }
}

import type { Grant } from '../subject';

/** `ci`, `deploy-prod`, `nightly.sync`: lowercase, so `robot:<name>` in rules reads one way only. */
export const ROBOT_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$/;
export const ROBOT_NAME_RULE = 'robot names are 1–64 lowercase letters, digits, ., _ and -, starting and ending with a letter or digit';

/** The login name of robot `ci`: `robot+ci`. */
export const ROBOT_USERNAME_PREFIX = 'robot+';

export function robotUsername(name: string): string {
  return ROBOT_USERNAME_PREFIX + name;
}

/** A robot account as stored: never its secret, only the secret's hash. */
export interface RobotRecord {
  name: string;
  /** Random, per creation: a robot created again under the same name is another credential. */
  id: string;
  /** `sha256:<hex>` of the secret. */
  secretHash: string;
  scope: Grant[];
  description?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number;
}

/** Reads a stored record back, or undefined when it is not one (a hand-edited or foreign entry). */
export function parseRobotRecord(value: unknown): RobotRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const doc = value as Partial<RobotRecord>;
  const grantsOk =
    Array.isArray(doc.scope) &&
    doc.scope.every(
      (g) => Array.isArray(g?.repositories) && g.repositories.every((r) => typeof r === 'string') && Array.isArray(g.actions) && g.actions.every((a) => typeof a === 'string'),
    );
  if (
    typeof doc.name !== 'string' || !ROBOT_NAME.test(doc.name) || typeof doc.id !== 'string' || typeof doc.secretHash !== 'string' || !grantsOk ||
    typeof doc.createdAt !== 'number' || typeof doc.expiresAt !== 'number' || (doc.description !== undefined && typeof doc.description !== 'string')
  ) {
    return undefined;
  }
  return doc as RobotRecord;
}

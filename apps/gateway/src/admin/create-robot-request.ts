import { z } from 'zod';
import { ACCESS_ACTIONS, ROBOT_NAME, ROBOT_NAME_RULE, type NewRobot } from '#access';
import { duration } from '#config';
import { OciError } from '#oci';

/** `POST /admin/v1/robots`: `expiresIn` is a duration (`30d`, `12h`) or a number of seconds. */
const createRobotRequest = z.strictObject({
  name: z.string().regex(ROBOT_NAME, ROBOT_NAME_RULE),
  scope: z
    .array(
      z.strictObject({
        repositories: z.array(z.string().min(1)).min(1),
        actions: z.array(z.enum(ACCESS_ACTIONS as [string, ...string[]])).min(1),
      }),
    )
    .min(1),
  expiresIn: duration.refine((ms) => ms > 0, 'must be more than 0'),
  description: z.string().max(256).optional(),
});

/** The robot to create, or 400 naming every field that is wrong (`scope[0].actions[1]: ...`). */
export function parseCreateRobotRequest(body: unknown): NewRobot {
  const parsed = createRobotRequest.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: fieldName([...issue.path, key]), message: 'is not a known field' }))
        : [{ field: fieldName(issue.path), message: issue.message }],
    );
    const message = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ');
    throw new OciError('UNSUPPORTED', message, { status: 400, detail: { field: issues[0]?.field, issues } });
  }
  const { name, scope, expiresIn, description } = parsed.data;
  return { name, scope, expiresInMs: expiresIn, ...(description !== undefined ? { description } : {}) };
}

/** `['scope', 0, 'actions', 1]` → `scope[0].actions[1]`. */
function fieldName(path: readonly PropertyKey[]): string {
  return path.reduce<string>((name, key) => (typeof key === 'number' ? `${name}[${key}]` : name ? `${name}.${String(key)}` : String(key)), '');
}

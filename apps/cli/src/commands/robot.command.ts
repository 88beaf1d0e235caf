import { type Command, InvalidArgumentError } from 'commander';
import { adminClient, withAdminOptions, type AdminFlags } from '../admin/admin-options';
import type { CliContext } from '../cli-context';

interface Grant {
  repositories: string[];
  actions: string[];
}

interface RobotListing {
  name: string;
  username: string;
  scope: Grant[];
  description?: string;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
}

interface CreatedRobot {
  name: string;
  username: string;
  secret: string;
  expiresAt: string;
}

/** `gantry robot create|list|revoke`: /admin/v1/robots. */
export function registerRobotCommands(program: Command, ctx: CliContext): void {
  const robot = program.command('robot').description('robot accounts: machine credentials with their own scope and expiry');

  withAdminOptions(
    robot
      .command('create')
      .description('create a robot and print its secret (shown this once, never again)')
      .argument('<name>', 'lowercase letters, digits, ., _ and -; the login is robot+<name>')
      .requiredOption('--scope <repositories:actions>', 'repository globs and actions, e.g. "team/**,ci/*:pull,push" (repeatable)', collectScope)
      .requiredOption('--expires-in <duration>', '30d, 12h, or seconds (at most auth.robots.maxTtl)')
      .option('--description <text>', 'what the robot is for')
      .option('--json', 'print the answer as JSON'),
  ).action(async (name: string, flags: AdminFlags & { scope: Grant[]; expiresIn: string; description?: string; json?: boolean }) => {
    const client = await adminClient(flags, ctx.terminal);
    const body = { name, scope: flags.scope, expiresIn: /^\d+$/.test(flags.expiresIn) ? Number(flags.expiresIn) : flags.expiresIn, ...(flags.description ? { description: flags.description } : {}) };
    const created = await client.post<CreatedRobot>('/admin/v1/robots', body);
    // The secret goes to stdout only (the one place it is ever shown); the reminder to stderr.
    if (flags.json) {
      ctx.terminal.out(`${JSON.stringify(created)}\n`);
    } else {
      ctx.terminal.out(`username: ${created.username}\nsecret:   ${created.secret}\nexpires:  ${created.expiresAt}\n`);
    }
    ctx.terminal.err(`gantry robot create: the secret is shown this once: store it now (e.g. docker login -u ${created.username} --password-stdin)\n`);
  });

  withAdminOptions(robot.command('list').description('list robots (never a secret)').option('--json', 'print the answer as JSON')).action(
    async (flags: AdminFlags & { json?: boolean }) => {
      const client = await adminClient(flags, ctx.terminal);
      const { robots } = await client.get<{ robots: RobotListing[] }>('/admin/v1/robots');
      ctx.terminal.out(flags.json ? `${JSON.stringify(robots, null, 2)}\n` : table(robots));
    },
  );

  withAdminOptions(robot.command('revoke').description('revoke a robot: its tokens stop working on their next request').argument('<name>', 'the robot')).action(
    async (name: string, flags: AdminFlags) => {
      const client = await adminClient(flags, ctx.terminal);
      await client.delete(`/admin/v1/robots/${encodeURIComponent(name)}`);
      ctx.terminal.out(`revoked robot ${name}\n`);
    },
  );
}

/** `team/**,ci/*:pull,push` → one grant; repeated flags add grants. */
export function collectScope(value: string, previous: Grant[] = []): Grant[] {
  const colon = value.lastIndexOf(':');
  const repositories = value.slice(0, Math.max(colon, 0)).split(',').map((s) => s.trim()).filter(Boolean);
  const actions = value.slice(colon + 1).split(',').map((s) => s.trim()).filter(Boolean);
  if (colon < 0 || repositories.length === 0 || actions.length === 0) {
    throw new InvalidArgumentError('expected repositories:actions, e.g. "team/**:pull,push"');
  }
  return [...previous, { repositories, actions }];
}

function table(robots: RobotListing[]): string {
  if (robots.length === 0) return 'no robots\n';
  const rows = [
    ['NAME', 'EXPIRES', 'SCOPE', 'DESCRIPTION'],
    ...robots.map((r) => [
      r.name,
      `${r.expiresAt}${r.expired ? ' (expired)' : ''}`,
      r.scope.map((g) => `${g.repositories.join(',')}:${g.actions.join(',')}`).join(' '),
      r.description ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

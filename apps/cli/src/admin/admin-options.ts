import { type Command, Option } from 'commander';
import { CliError, EXIT } from '../cli-error';
import type { Terminal } from '../terminal';
import { AdminClient, type AdminCredentials } from './admin-client';

export const DEFAULT_URL = 'http://127.0.0.1:5000';

/** What every admin-talking command accepts. There is deliberately no password flag: it would show in `ps` and shell history. */
export interface AdminFlags {
  url?: string;
  user?: string;
  passwordStdin?: boolean;
}

export function withAdminOptions(command: Command): Command {
  return command
    .addOption(new Option('--url <url>', `the gateway (default: $GANTRY_URL, else ${DEFAULT_URL})`))
    .addOption(new Option('--user <name>', 'admin user (default: $GANTRY_USER); the password comes from $GANTRY_PASSWORD or --password-stdin'))
    .addOption(new Option('--password-stdin', 'read the password from standard input'));
}

export async function adminClient(flags: AdminFlags, terminal: Terminal): Promise<AdminClient> {
  const raw = flags.url ?? (terminal.env.GANTRY_URL || DEFAULT_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`--url: not a URL: ${raw}`, EXIT.usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url: must be http:// or https://, got ${url.protocol}`, EXIT.usage);
  return new AdminClient(url, await credentialsOf(flags, terminal));
}

async function credentialsOf(flags: AdminFlags, terminal: Terminal): Promise<AdminCredentials | undefined> {
  const user = flags.user ?? (terminal.env.GANTRY_USER || undefined);
  let password: string | undefined;
  if (flags.passwordStdin) {
    password = (await terminal.readStdin()).replace(/\r?\n$/, '');
    if (password === '') throw new CliError('--password-stdin: standard input was empty', EXIT.usage);
  } else {
    password = terminal.env.GANTRY_PASSWORD || undefined;
  }
  if (user === undefined && password === undefined) return undefined;
  if (user === undefined) throw new CliError('a password without a user: give --user or GANTRY_USER', EXIT.usage);
  if (password === undefined) throw new CliError(`no password for ${user}: set GANTRY_PASSWORD or pipe it into --password-stdin`, EXIT.usage);
  return { user, password };
}

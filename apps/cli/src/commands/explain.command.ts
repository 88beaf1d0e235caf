import type { Command } from 'commander';
import type { ExplainAnswer } from '#access';
import { adminClient, withAdminOptions, type AdminFlags } from '../admin/admin-options';
import { CliError, EXIT } from '../cli-error';
import type { CliContext } from '../cli-context';

/** Without an `auth` section the gateway answers with the decision, reason, rules and notes only. */
type Answer = Pick<ExplainAnswer, 'decision' | 'reason'> & Partial<ExplainAnswer>;

/** `gantry explain <subject> <action> <repo[:ref]>`: POST /admin/v1/access/explain. */
export function registerExplainCommand(program: Command, ctx: CliContext): void {
  withAdminOptions(
    program
      .command('explain')
      .description('why the access rules (and pull policies) allow or deny a request')
      .argument('<subject>', 'anonymous, user:<name>, robot:<name>, or a JSON subject {"kind":"oidc",...}')
      .argument('<action>', 'pull, push, delete or admin')
      .argument('[repository]', 'repo, repo:tag or repo@digest (a reference makes a pull also check the pull policies)')
      .option('--json', 'print the answer as JSON'),
  ).action(async (subject: string, action: string, target: string | undefined, flags: AdminFlags & { json?: boolean }) => {
    const client = await adminClient(flags, ctx.terminal);
    const request = { subject: parseSubject(subject), action, ...(target ? splitReference(target) : {}) };
    const answer = await client.post<Answer>('/admin/v1/access/explain', request);
    ctx.terminal.out(flags.json ? `${JSON.stringify(answer, null, 2)}\n` : render(answer));
  });
}

function parseSubject(subject: string): unknown {
  if (!subject.trimStart().startsWith('{')) return subject;
  try {
    return JSON.parse(subject) as unknown;
  } catch (err) {
    throw new CliError(`<subject>: not valid JSON: ${(err as Error).message}`, EXIT.usage);
  }
}

/** `team/app:1.0` → repository + tag; `team/app@sha256:…` → + digest; a `:` before the last `/` is a host port. */
export function splitReference(target: string): { repository: string; reference?: string } {
  const at = target.indexOf('@');
  if (at >= 0) return { repository: target.slice(0, at), reference: target.slice(at + 1) };
  const colon = target.lastIndexOf(':');
  if (colon > target.lastIndexOf('/')) return { repository: target.slice(0, colon), reference: target.slice(colon + 1) };
  return { repository: target };
}

function render(answer: Answer): string {
  const lines = [`decision: ${answer.decision}`];
  if (answer.reason) lines.push(`reason:   ${answer.reason}`);
  if (answer.rule) lines.push(`rule:     ${answer.rule}`);
  for (const rule of answer.rules ?? []) lines.push(`matched:  ${rule.name} (${rule.effect})`);
  if (answer.admission) {
    const { decision, digest } = answer.admission;
    lines.push(`pull policies for ${digest}: ${decision.allowed ? 'allow' : `deny: ${decision.message ?? 'denied'}`}`);
    for (const policy of decision.policies) lines.push(`  ${policy.name}: ${policy.allowed ? 'allow' : 'deny'}: ${policy.reason}`);
  }
  for (const note of answer.notes ?? []) lines.push(`note:     ${note}`);
  return `${lines.join('\n')}\n`;
}

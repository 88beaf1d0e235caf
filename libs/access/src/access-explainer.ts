import { ACCESS_ACTIONS, type AccessAction } from './access-action';
import type { AdmissionDecision } from './admission';
import type { AccessRules, AppliedRule } from './access-rules';
import type { ConfigUsers } from './config-users';
import { describeSubject, type Subject, type SubjectKind } from './subject';

/** What an explain request names: a subject string (`user:alice`, `robot:ci`, `anonymous`) or a subject spelled out. */
export interface ExplainRequest {
  subject: string | { kind: SubjectKind; name: string; groups?: string[]; claims?: Record<string, string> };
  action: AccessAction;
  repository?: string;
  reference?: string;
}

export interface ExplainAnswer {
  subject: string;
  /** What the subject was taken to be (groups found in config, a robot's grants). */
  resolvedSubject: Subject;
  action: AccessAction;
  repository?: string;
  decision: 'allow' | 'deny';
  rule?: string;
  reason: string;
  /** Every rule that matched, in the order they were considered (config rules, then the subject's grants). */
  rules: AppliedRule[];
  notes: string[];
  /** Pull admission for `reference` (only with a pull-policy explainer and a reference). */
  admission?: PullPolicyExplanation;
}

/** Extension point: robot accounts (the identity work plugs `RobotAccounts` in here). */
export interface RobotDirectory {
  describe(name: string): Promise<Subject | undefined>;
}

/** Extension point: pull admission policies (the admission work plugs its engine in here). */
export interface PullPolicyExplainer {
  explain(request: { subject: Subject; repository: string; reference: string }): Promise<PullPolicyExplanation>;
}

/** What a pull of the reference resolves to now, and what the pull policies say of it. */
export interface PullPolicyExplanation {
  digest: string;
  mediaType: string;
  decision: AdmissionDecision;
}

export interface ExplainExtensions {
  robots?: RobotDirectory;
  pullPolicies?: PullPolicyExplainer;
}

/** A request that cannot be explained (an unknown subject kind, a missing field). */
export class ExplainInputError extends Error {}

/** `POST /admin/v1/access/explain`: the decision the rules give, and which rules gave it. */
export class AccessExplainer {
  constructor(
    private readonly rules: AccessRules,
    private readonly users: ConfigUsers,
    private readonly extensions: ExplainExtensions = {},
  ) {}

  async explain(request: ExplainRequest): Promise<ExplainAnswer> {
    if (!ACCESS_ACTIONS.includes(request.action)) throw new ExplainInputError(`action must be one of ${ACCESS_ACTIONS.join(', ')}`);
    if (request.action !== 'admin' && request.action !== 'catalog' && typeof request.repository !== 'string') {
      throw new ExplainInputError(`${request.action} needs a repository`);
    }
    const notes: string[] = [];
    const subject = await this.resolveSubject(request.subject, notes);
    const verdict = this.rules.decide(subject, request.action, request.repository);
    const answer: ExplainAnswer = {
      subject: describeSubject(subject),
      resolvedSubject: subject,
      action: request.action,
      ...(request.repository !== undefined ? { repository: request.repository } : {}),
      decision: verdict.allowed ? 'allow' : 'deny',
      ...(verdict.rule ? { rule: verdict.rule } : {}),
      reason: verdict.reason,
      rules: verdict.applied,
      notes,
    };
    const { pullPolicies } = this.extensions;
    if (pullPolicies && request.action === 'pull' && request.repository && request.reference) {
      const admission = await pullPolicies.explain({ subject, repository: request.repository, reference: request.reference });
      answer.admission = admission;
      // A pull needs both: the rules allowing it and every policy admitting the manifest.
      if (answer.decision === 'allow' && !admission.decision.allowed) {
        answer.decision = 'deny';
        answer.reason = admission.decision.message ?? 'denied by a pull policy';
      }
    }
    return answer;
  }

  private async resolveSubject(input: ExplainRequest['subject'], notes: string[]): Promise<Subject> {
    if (typeof input === 'object' && input !== null) {
      const { kind, name, groups, claims } = input;
      if (!['anonymous', 'user', 'robot', 'oidc'].includes(kind) || typeof name !== 'string') {
        throw new ExplainInputError('subject needs kind (anonymous, user, robot, oidc) and name');
      }
      return { kind, name, groups: Array.isArray(groups) ? groups.map(String) : [], ...(claims ? { claims } : {}) };
    }
    if (typeof input !== 'string') throw new ExplainInputError('subject is required');
    if (input === 'anonymous') return { kind: 'anonymous', name: 'anonymous', groups: [] };
    const colon = input.indexOf(':');
    const kind = input.slice(0, colon);
    const name = input.slice(colon + 1);
    if (colon <= 0 || name === '') throw new ExplainInputError('subject must be anonymous, user:<name>, robot:<name> or an object');
    if (kind === 'user') {
      const user = this.users.describe(name);
      if (user) return user;
      notes.push(`no configured user "${name}": explained as a user without groups`);
      return { kind: 'user', name, groups: [] };
    }
    if (kind === 'robot') {
      const robot = await this.extensions.robots?.describe(name);
      if (robot) return robot;
      notes.push(this.extensions.robots ? `no robot "${name}": explained without grants` : 'robot accounts are not available: explained without grants');
      return { kind: 'robot', name, groups: [] };
    }
    throw new ExplainInputError(`unknown subject kind "${kind}": use anonymous, user:<name>, robot:<name> or an object`);
  }
}

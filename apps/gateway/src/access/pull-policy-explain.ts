import type { AdmissionGate } from '../v2/admission-gate';
import type { AccessPlugins } from './access-control';

/** Explain answers for a pull with a reference carry what the pull policies decide for it now. */
export function withPullPolicyExplain(plugins: AccessPlugins, gate: AdmissionGate): AccessPlugins {
  return { ...plugins, explain: { ...plugins.explain, pullPolicies: { explain: ({ repository, reference }) => gate.explain(repository, reference) } } };
}

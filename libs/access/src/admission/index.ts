export { PullAdmission, type PullAdmissionOptions, type AdmissionExplanation } from './pull-admission';
export type { SignatureCacheTimes } from './checks/signature-check';
export type { CompiledPolicy } from './compiled-policy';
export { cosignSignatureTag, Cosign, Notation } from './signatures/signature-formats';

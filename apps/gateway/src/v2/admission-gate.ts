import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ANONYMOUS, type AdmissionExplanation, type AuditSink, describeSubject, PullAdmission, type Subject } from '#access';
import { OciError } from '#oci';
import { requestAccessOf } from '../access/request-access';
import { AUDIT_SINK } from '../bootstrap/tokens';
import { RepositoryResolver, type ResolvedRepository } from './repository-resolver';

/** The manifest a GET or HEAD is about to answer with. */
export interface ManifestToAdmit {
  digest: string;
  mediaType: string;
  /** A GET has the bytes already. */
  bytes?: Buffer;
}

/**
 * Step 5 of the request path: pull admission on the resolved manifest. Repositories no policy
 * names pass at the cost of a cached lookup; for the others every policy decision is audited
 * and a denial is 403 DENIED naming the policy and the reason.
 */
@Injectable()
export class AdmissionGate {
  constructor(
    private readonly admission: PullAdmission,
    private readonly resolver: RepositoryResolver,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
  ) {}

  async assertAdmitted(req: FastifyRequest, repo: ResolvedRepository, reference: string, manifest: ManifestToAdmit): Promise<void> {
    if (!this.admission.appliesTo(repo.name)) return;
    const request = { repository: repo.name, reference, digest: manifest.digest, mediaType: manifest.mediaType, ...(manifest.bytes ? { manifest: manifest.bytes } : {}) };
    const decision = await this.admission.admit(request, repo.registry, repo.upstreamName);
    const subject = describeSubject(subjectOf(req));
    for (const policy of decision.policies) {
      this.audit.record({
        event: 'admission', subject, sourceAddress: req.ip, reqId: req.id, action: 'pull',
        repository: repo.name, reference, digest: manifest.digest, backend: repo.backendName,
        decision: policy.allowed ? 'allow' : 'deny', policy: policy.name, reason: policy.reason,
      });
    }
    if (!decision.allowed) throw new OciError('DENIED', decision.message, { detail: { policies: decision.policies.filter((p) => !p.allowed).map((p) => p.name) } });
  }

  /** A pushed signature takes effect at once on this replica (see PullAdmission.manifestPushed). */
  manifestPushed(repo: ResolvedRepository, reference: string, subjectDigest: string | undefined): void {
    this.admission.manifestPushed(repo.name, reference, subjectDigest);
  }

  /** For the explain endpoint: what a pull of `name:reference` gets now and whether it is admitted. */
  async explain(name: string, reference: string): Promise<AdmissionExplanation> {
    const repo = this.resolver.resolve(name);
    return this.admission.explain(repo.name, reference, repo.registry, repo.upstreamName);
  }
}

/** Who is pulling: the subject the request gate attached (access control), else anonymous. */
function subjectOf(req: FastifyRequest): Subject {
  return requestAccessOf(req)?.subject ?? ANONYMOUS;
}

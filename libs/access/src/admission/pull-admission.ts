import { LRUCache } from 'lru-cache';
import type { PolicyConfig } from '#config';
import { MANIFEST_MEDIA_TYPES } from '#oci';
import type { Registry } from '#registry';
import type { AdmissionDecision, AdmissionRequest } from '../admission';
import { AdmissionSource } from './admission-source';
import { type CheckResult, fail } from './checks/check-result';
import { checkMediaType } from './checks/media-type-check';
import { PlatformCheck } from './checks/platform-check';
import { checkReference } from './checks/reference-check';
import { DEFAULT_SIGNATURE_CACHE_TIMES, SignatureCheck, type SignatureCacheTimes } from './checks/signature-check';
import { compilePolicy, type CompiledPolicy } from './compiled-policy';
import { PulledManifest } from './pulled-manifest';
import { problemOf } from './signatures/signature-manifests';

export interface PullAdmissionOptions {
  signatureCache?: SignatureCacheTimes;
  now?: () => number;
}

/** What explain answers: the manifest a pull of the reference gets now, and the decision on it. */
export interface AdmissionExplanation {
  digest: string;
  mediaType: string;
  decision: AdmissionDecision;
}

/** `sha256-<hex>.sig` → `sha256:<hex>`. */
function signedDigestOfTag(reference: string): string | undefined {
  const match = /^([a-z0-9]+)-([a-f0-9]{32,128})\.sig$/.exec(reference);
  return match ? `${match[1]}:${match[2]}` : undefined;
}

/** Why a signature manifest is always pullable. */
const SIGNATURE_ARTIFACT = 'a signature artifact: always pullable, clients verify signatures by pulling them';

/**
 * Pull admission (`policies:`): every policy naming the repository is applied to the manifest a
 * GET or HEAD is about to return, whatever the backend. A policy's checks run cheapest first
 * (reference, media type, platform, signature) and the first that fails decides it; the pull is
 * admitted when every policy admits it. Repositories no policy names cost one cached lookup.
 */
export class PullAdmission {
  private readonly matching = new LRUCache<string, readonly CompiledPolicy[]>({ max: 10_000 });
  private readonly platforms = new PlatformCheck();
  private readonly signatures: SignatureCheck;

  constructor(
    private readonly policies: readonly CompiledPolicy[],
    options: PullAdmissionOptions = {},
  ) {
    this.signatures = new SignatureCheck(options.signatureCache ?? DEFAULT_SIGNATURE_CACHE_TIMES, options.now);
  }

  /** Compiles `policies:` and loads their keys; a ConfigError names the key that is wrong. */
  static fromConfig(configs: readonly PolicyConfig[], options: PullAdmissionOptions = {}): PullAdmission {
    return new PullAdmission(configs.map((config, i) => compilePolicy(config, i)), options);
  }

  /** The policies naming `repository` (client-facing), in config order. */
  policiesFor(repository: string): readonly CompiledPolicy[] {
    let found = this.matching.get(repository);
    if (!found) {
      found = this.policies.filter((policy) => policy.matchesRepository(repository));
      this.matching.set(repository, found);
    }
    return found;
  }

  appliesTo(repository: string): boolean {
    return this.policies.length > 0 && this.policiesFor(repository).length > 0;
  }

  /** The decision on one pull; `registry` is the route's (cache-decorated) Registry, `upstreamName` the backend's name for the repository. */
  async admit(request: AdmissionRequest, registry: Registry, upstreamName: string): Promise<AdmissionDecision> {
    const policies = this.policiesFor(request.repository);
    if (policies.length === 0) return { allowed: true, policies: [] };
    const pulled = new PulledManifest(request, new AdmissionSource(registry, upstreamName));
    const signatureArtifact = { allowed: true, policies: policies.map((policy) => ({ name: policy.name, allowed: true, reason: SIGNATURE_ARTIFACT })) };
    // Content is read up front only when a check needs it anyway; tag and media type rules read it only to deny.
    const readsContent = policies.some((policy) => policy.config.requireSignature || policy.config.platforms);
    if (readsContent && (await pulled.isSignature())) return signatureArtifact;
    const results: AdmissionDecision['policies'] = [];
    for (const policy of policies) {
      const result = await this.judge(policy, pulled);
      results.push({ name: policy.name, allowed: result.ok, reason: result.reason });
    }
    const denied = results.find((r) => !r.allowed);
    if (!denied) return { allowed: true, policies: results };
    if (!readsContent && (await pulled.isSignature())) return signatureArtifact;
    return { allowed: false, policies: results, message: `policy "${denied.name}": ${denied.reason}` };
  }

  /**
   * A manifest was pushed to `repository`: when it is a signature (the cosign `.sig` tag of a
   * digest, or any manifest with a subject), a remembered denial of that digest is forgotten.
   */
  manifestPushed(repository: string, reference: string, subjectDigest: string | undefined): void {
    const signed = subjectDigest ?? signedDigestOfTag(reference);
    if (signed && this.appliesTo(repository)) this.signatures.forgetInvalid(this.policiesFor(repository), repository, signed);
  }

  /**
   * Explain: what a pull of `reference` would get and whether it would be admitted, through the
   * same checks and caches as the pull itself (the explain endpoint calls this).
   */
  async explain(repository: string, reference: string, registry: Registry, upstreamName: string, accept: readonly string[] = MANIFEST_MEDIA_TYPES): Promise<AdmissionExplanation> {
    const meta = await registry.statManifest(upstreamName, reference, accept);
    const decision = await this.admit({ repository, reference, digest: meta.digest, mediaType: meta.mediaType }, registry, upstreamName);
    return { digest: meta.digest, mediaType: meta.mediaType, decision };
  }

  private async judge(policy: CompiledPolicy, pulled: PulledManifest): Promise<CheckResult> {
    const checks: (() => CheckResult | undefined | Promise<CheckResult | undefined>)[] = [
      () => checkReference(policy, pulled.request.reference),
      () => checkMediaType(policy, pulled.request.mediaType),
      () => this.platforms.check(policy, pulled),
      () => this.signatures.check(policy, pulled),
    ];
    const passed: string[] = [];
    for (const check of checks) {
      let result: CheckResult | undefined;
      try {
        result = await check();
      } catch (err) {
        result = fail(`${pulled.digest} could not be checked: ${problemOf(err)}`);
      }
      if (!result) continue;
      if (!result.ok) return result;
      passed.push(result.reason);
    }
    return { ok: true, reason: passed.length > 0 ? passed.join('; ') : 'no checks configured' };
  }
}

import { LRUCache } from 'lru-cache';
import type { CompiledPolicy } from '../compiled-policy';
import type { PulledManifest } from '../pulled-manifest';
import { findCosignSignatures, keyList } from '../signatures/cosign-signatures';
import { findNotationSignatures } from '../signatures/notation-signatures';
import type { SignatureFinding } from '../signatures/signature-finding';
import { problemOf } from '../signatures/signature-manifests';
import { type CheckResult, fail, pass } from './check-result';

export interface SignatureCacheTimes {
  /** How long a valid signature is trusted without looking again. */
  validMs: number;
  /** How long "no valid signature" stands: a signature pushed meanwhile admits the image after at most this. */
  invalidMs: number;
}

export const DEFAULT_SIGNATURE_CACHE_TIMES: SignatureCacheTimes = { validMs: 5 * 60_000, invalidMs: 10_000 };

/**
 * `requireSignature`: a cosign or notation signature of exactly the pulled digest, verified by a
 * pinned key when keys are configured. Results are remembered per (policy, repository, digest) in
 * a bounded LRU: valid ones for `validMs`, invalid ones only for `invalidMs`. Signatures live in a
 * repository, so the same digest in another repository is judged on its own.
 *
 * When an index is admitted by its signature, its child manifests are admitted by it too for the
 * same time (a client pulls the index by tag, then the child of its platform by digest; `cosign
 * sign` signs the index only). A child pulled on its own, or on another replica, needs its own
 * signature (`cosign sign --recursive`).
 */
export class SignatureCheck {
  private readonly results = new LRUCache<string, { result: CheckResult; until: number }>({ max: 10_000 });
  private readonly inFlight = new Map<string, Promise<CheckResult>>();

  constructor(
    private readonly times: SignatureCacheTimes = DEFAULT_SIGNATURE_CACHE_TIMES,
    private readonly now: () => number = Date.now,
  ) {}

  async check(policy: CompiledPolicy, pulled: PulledManifest): Promise<CheckResult | undefined> {
    if (!policy.config.requireSignature) return undefined;
    if (!pulled.servedBytesMatch()) return fail(`the manifest served is not ${pulled.digest}`);
    const key = resultKey(policy, pulled.request.repository, pulled.digest);
    const known = this.remembered(key);
    if (known) return known;
    let running = this.inFlight.get(key);
    if (!running) {
      const judging: Promise<CheckResult> = this.judge(policy, pulled).then(async (result) => {
        // Forgotten meanwhile (a signature was pushed): this answer may predate it, so it is not kept.
        if (this.inFlight.get(key) !== judging) return result;
        this.inFlight.delete(key);
        this.remember(key, result);
        if (result.ok) await this.coverChildren(policy, pulled);
        return result;
      }, (err: unknown) => {
        if (this.inFlight.get(key) === judging) this.inFlight.delete(key);
        throw err;
      });
      running = judging;
      this.inFlight.set(key, running);
    }
    return running;
  }

  /**
   * A signature of `digest` was just pushed to `repository` through this gateway: a remembered
   * "no valid signature" is dropped so that the next pull looks again at once.
   */
  forgetInvalid(policies: readonly CompiledPolicy[], repository: string, digest: string): void {
    for (const policy of policies) {
      const key = resultKey(policy, repository, digest);
      if (this.remembered(key)?.ok === false) this.results.delete(key);
      this.inFlight.delete(key);
    }
  }

  private async judge(policy: CompiledPolicy, pulled: PulledManifest): Promise<CheckResult> {
    try {
      return describe(policy, pulled.digest, await this.findings(policy, pulled));
    } catch (err) {
      return fail(`signatures of ${pulled.digest} could not be read: ${problemOf(err)}`);
    }
  }

  private async findings(policy: CompiledPolicy, pulled: PulledManifest): Promise<SignatureFinding[]> {
    const { formats } = policy.config.requireSignature!;
    const { source, digest } = pulled;
    const { manifests: referrers } = await source.registry.listReferrers(source.upstreamName, digest);
    const findings: SignatureFinding[] = [];
    if (formats.includes('cosign')) findings.push(...(await findCosignSignatures(source, digest, policy.keys, referrers)));
    if (!findings.some((f) => f.valid) && formats.includes('notation')) {
      findings.push(...(await findNotationSignatures(source, digest, policy.keys, referrers, this.now())));
    }
    return findings;
  }

  private async coverChildren(policy: CompiledPolicy, pulled: PulledManifest): Promise<void> {
    const parsed = await pulled.parsed();
    if (!parsed?.isIndex) return;
    for (const child of parsed.manifests) {
      const key = resultKey(policy, pulled.request.repository, child.digest);
      if (this.remembered(key)?.ok) continue;
      this.remember(key, pass(`covered by the signature of index ${pulled.digest}`));
    }
  }

  private remembered(key: string): CheckResult | undefined {
    const entry = this.results.get(key);
    if (entry && entry.until > this.now()) return entry.result;
    if (entry) this.results.delete(key);
    return undefined;
  }

  private remember(key: string, result: CheckResult): void {
    const ttl = result.ok ? this.times.validMs : this.times.invalidMs;
    if (ttl > 0) this.results.set(key, { result, until: this.now() + ttl });
  }
}

function resultKey(policy: CompiledPolicy, repository: string, digest: string): string {
  return `${policy.name}\0${repository}\0${digest}`;
}

function describe(policy: CompiledPolicy, digest: string, findings: SignatureFinding[]): CheckResult {
  const valid = findings.find((f) => f.valid);
  if (valid) {
    return pass(valid.key ? `signed by key "${valid.key}" (${valid.source})` : `signature present (${valid.source}); not verified: the policy has no keys`);
  }
  const wanted = policy.keys.length > 0 ? `no valid signature for ${digest} by ${keyList(policy.keys)}` : `no signature for ${digest}`;
  if (findings.length === 0) return fail(wanted);
  return fail(`${wanted} (${findings.map((f) => `${f.source}: ${f.problem}`).join('; ')})`);
}

/** What an upstream request was for; `storage` is a presigned blob URL outside the registry. */
export type UpstreamOperation = 'ping' | 'manifest' | 'blob' | 'upload' | 'tags' | 'catalog' | 'referrers' | 'storage';

/** What one logical upstream request came to: its HTTP status, or `error` when none arrived. */
export interface UpstreamRequestOutcome {
  backend: string;
  operation: UpstreamOperation;
  /** The final status (retries included: one logical request), or undefined on a network error or timeout. */
  status: number | undefined;
  seconds: number;
}

/**
 * Watches what backends do upstream, for metrics. Backends call it and never know what listens;
 * the gateway implements it (Prometheus). Calls are synchronous and must be cheap and never throw.
 */
export interface BackendObserver {
  upstreamRequest(outcome: UpstreamRequestOutcome): void;
  /** A cloud credential (ECR token, Google access token, ACR refresh token) was fetched, or failed to be. */
  credentialRefresh(backend: string, result: 'success' | 'failure'): void;
}

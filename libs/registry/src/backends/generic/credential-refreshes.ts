import type { BackendSharedState } from '../../port';

/** Reports a cloud backend's credential fetches to its observer, if the gateway gave it one. */
export function credentialRefreshes(backend: string, shared: BackendSharedState | undefined): ((result: 'success' | 'failure') => void) | undefined {
  const observer = shared?.observer;
  return observer ? (result) => observer.credentialRefresh(backend, result) : undefined;
}

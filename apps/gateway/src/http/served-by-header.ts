/** `X-Gantry-Served-By` when a replica answered instead of the route's primary backend (failover). */
export function servedByHeader(servedBy: string | undefined): Record<string, string> {
  return servedBy ? { 'x-gantry-served-by': servedBy } : {};
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EADDRNOTAVAIL: 'address not available on this machine',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  ENOTFOUND: 'unknown host',
};

/** `cannot listen on host:port: reason` for the errors an operator can act on; undefined for others. */
export function describeListenError(err: unknown, listen: string): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const reason = code ? REASONS[code] : undefined;
  return reason ? `cannot listen on ${listen}: ${reason}` : undefined;
}

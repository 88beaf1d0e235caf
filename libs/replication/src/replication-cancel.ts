/** The pub/sub channel on which the admin API asks whichever worker runs a job to abort it. */
export function cancelChannel(keyPrefix: string): string {
  return `${keyPrefix}replication:cancel`;
}

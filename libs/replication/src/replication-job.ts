import { createHash } from 'node:crypto';

export type ReplicationTrigger = 'on-push' | 'manual' | 'cron' | 'reconcile';

/** What a copy job carries (BullMQ job data): everything a worker needs, nothing secret. */
export interface ReplicationJobData {
  rule: string;
  trigger: ReplicationTrigger;
  source: { backend: string; repository: string };
  /** The manifest digest to copy (what the tag pointed at when the job was made). */
  digest: string;
  /** The tag to set at the destination; absent when pushed by digest. */
  tag?: string;
  destination: { backend: string; repository: string };
}

/** Progress as the job shows it (the engine's CopyProgress). */
export type { CopyProgress as ReplicationJobProgress } from './copy-contract';

/**
 * The job id: the same image to the same place is one job, however often it is triggered
 * (a push seen twice, cron and reconcile racing). BullMQ ids must not contain `:`.
 */
export function replicationJobId(data: Pick<ReplicationJobData, 'digest' | 'tag' | 'destination'>): string {
  const key = [data.digest, data.destination.backend, data.destination.repository, data.tag ?? ''].join('\n');
  return `copy-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

/** One queue per destination backend: its concurrency and rate limit are the destination's. */
export function copyQueueName(destinationBackend: string): string {
  return `copy-${destinationBackend}`;
}

/** Cron and reconcile schedulers put their scans here. */
export const SCAN_QUEUE = 'scan';

export interface ScanJobData {
  rule: string;
  trigger: 'cron' | 'reconcile';
}

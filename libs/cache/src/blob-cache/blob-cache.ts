import { pipeline, type Readable } from 'node:stream';
import type { Logger } from 'pino';
import { DigestVerifier } from '#oci';
import type { BlobBody } from '#registry';
import type { LockService } from '../lock-service';
import { BlobFlight, type FlightOptions } from './blob-flight';
import { DiskBlobCache, type OpenBlob } from './disk-blob-cache';
import { FlightReader } from './flight-reader';

export interface BlobCacheOptions {
  path: string;
  maxBytes: number;
  leaseMs?: number;
  pollMs?: number;
  logger?: Logger;
}

/** Long enough for Redis hiccups, short enough that a dead holder costs waiters seconds, not minutes. */
const DEFAULT_LEASE_MS = 5000;
const DEFAULT_POLL_MS = 25;

/**
 * The disk blob cache of one directory: cached blobs (DiskBlobCache) and blobs being filled.
 * Concurrent misses of one digest share one flight in this process, and one lock across every
 * replica on the same Redis and directory, so the upstream sends each blob once.
 */
export class BlobCache {
  readonly disk: DiskBlobCache;
  private readonly flights = new Map<string, BlobFlight>();
  private readonly flightOptions: FlightOptions;

  constructor(
    options: BlobCacheOptions,
    private readonly locks: LockService,
  ) {
    this.disk = new DiskBlobCache(options.path, options.maxBytes, options.logger);
    this.flightOptions = { leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS, pollMs: options.pollMs ?? DEFAULT_POLL_MS, logger: options.logger };
  }

  open(digest: string): Promise<OpenBlob | undefined> {
    return this.disk.open(digest);
  }

  /**
   * The whole blob, streamed while it is filled (joining a fill in flight here or on another
   * replica). The stream is verified and holds its last chunk back until the digest matches,
   * so a client never completes a transfer of wrong bytes.
   */
  async fill(digest: string, fetchUpstream: () => Promise<BlobBody>): Promise<{ stream: Readable; size: number }> {
    let flight = this.flights.get(digest);
    if (!flight) {
      const started = new BlobFlight(digest, this.disk, this.locks, fetchUpstream, this.flightOptions);
      this.flights.set(digest, started);
      void started.run().finally(() => {
        if (this.flights.get(digest) === started) this.flights.delete(digest);
      });
      flight = started;
    }
    const size = await flight.size;
    const reader = new FlightReader(flight, 0, size);
    const verifier = new DigestVerifier(digest, size, { holdLastChunk: true });
    return { stream: pipeline(reader, verifier, () => undefined), size };
  }
}

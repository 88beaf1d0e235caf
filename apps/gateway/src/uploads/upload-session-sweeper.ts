import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { GantryConfig } from '#config';
import { isOciError } from '#oci';
import type { Registry } from '#registry';
import { BACKENDS, GANTRY_CONFIG, LOGGER } from '../bootstrap/tokens';
import { UPLOAD_SESSION_STORE, type UploadSessionStore } from './upload-session';

/** The longest pause between sweeps, whatever the age limit. */
const MAX_SWEEP_INTERVAL_MS = 10 * 60 * 1000;

/**
 * Sweeps expired upload sessions at start and then periodically, and cancels each one's backend
 * side: an abandoned session must not hold a file (or an upstream upload) forever.
 */
@Injectable()
export class UploadSessionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<number>;

  constructor(
    @Inject(UPLOAD_SESSION_STORE) private readonly sessions: UploadSessionStore,
    @Inject(BACKENDS) private readonly backends: ReadonlyMap<string, Registry>,
    @Inject(GANTRY_CONFIG) private readonly config: GantryConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    const maxAgeMs = this.config.server.uploadSessions.maxAgeSeconds * 1000;
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), Math.max(1000, Math.min(maxAgeMs / 4, MAX_SWEEP_INTERVAL_MS)));
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** One sweep at a time; returns how many sessions it removed. */
  sweep(): Promise<number> {
    this.running ??= this.sweepOnce()
      .catch((err: unknown) => {
        this.logger.warn({ err: (err as Error).message }, 'upload session sweep failed');
        return 0;
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(): Promise<number> {
    const expired = await this.sessions.takeExpired();
    for (const session of expired) {
      const backend = this.backends.get(session.backend);
      try {
        await backend?.cancelUpload(session.upstreamName, session.handle);
      } catch (err) {
        // Already gone on the backend (it expires its own side too) or unreachable now.
        this.logger.debug({ backend: session.backend, err: isOciError(err) ? err.code : (err as Error).message }, 'could not cancel an expired upload');
      }
    }
    if (expired.length > 0) this.logger.info({ count: expired.length }, 'expired upload sessions swept');
    return expired.length;
  }
}

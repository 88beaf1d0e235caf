import { Inject, Injectable, type OnApplicationBootstrap, type BeforeApplicationShutdown, type Provider, type Type } from '@nestjs/common';
import type { AuditSink } from '#access';
import type { GantryConfig } from '#config';
import { type Replication, replicationAuditEvent } from '#replication';
import { AUDIT_SINK, GANTRY_CONFIG, REPLICATION } from '../bootstrap/tokens';
import { ReplicationAdminController } from '../admin/replication-admin.controller';
import { GantryMetrics } from '../metrics/gantry-metrics';
import { PushTrigger } from './push-trigger';

const HAND_BACK_MARGIN_MS = 2000;

/** With `replication.workers: inline`, the gateway runs the workers; at shutdown they get the grace period. */
@Injectable()
class ReplicationLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(REPLICATION) private readonly replication: Replication,
    @Inject(GANTRY_CONFIG) private readonly config: GantryConfig,
    @Inject(AUDIT_SINK) private readonly audit: AuditSink,
    private readonly metrics: GantryMetrics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.replication.config.workers !== 'inline') return;
    // The copy engine is part of the replication runtime, loaded only when replication is configured.
    const { defaultImageCopier } = await import('#replication/runtime');
    await this.replication.startWorkers(defaultImageCopier(), (outcome) => {
      this.metrics.replication.copyEnded(outcome);
      this.audit.record(replicationAuditEvent(outcome));
    });
  }

  /** Before the backends close (BackendLifecycle): running copies still need them. */
  async beforeApplicationShutdown(): Promise<void> {
    // The gateway exits when its grace period is over: copies are handed back a little before.
    await this.replication.close(Math.max(0, this.config.server.shutdownGraceSeconds * 1000 - HAND_BACK_MARGIN_MS));
  }
}

/** The push trigger always (a no-op without rules); the rest only when replication is configured. */
export function replicationProviders(replication: Replication | undefined): Provider[] {
  return [PushTrigger, ...(replication ? [{ provide: REPLICATION, useValue: replication }, ReplicationLifecycle] : [])];
}

export function replicationControllers(replication: Replication | undefined): Type[] {
  return replication ? [ReplicationAdminController] : [];
}

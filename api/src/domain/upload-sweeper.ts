import type { Logger } from '@neonchat/common/runtime';
import type { Repositories } from '../repositories/mod.js';
import { stagingKey, thumbnailKey, uploadKey, type BlobStore } from '../storage/blob-store.js';
import type { AttachmentMetrics } from './attachment-metrics.js';

/** Uploads deleted per pass, at most: a backlog is worked off over several passes. */
const SWEEP_BATCH = 500;

export interface SweepSettings {
  readonly orphanSeconds: number;
  readonly retentionSeconds: number;
  /** 0: no timer (tests call `sweep()`). */
  readonly intervalSeconds: number;
}

/**
 * Deletes the files nobody can see any more: uploads never attached (after UPLOAD_ORPHAN_TTL_S)
 * and uploads whose every message is deleted (after UPLOAD_DELETED_RETENTION_S). The file goes
 * first, then the row is marked deleted; a file that fails to go keeps its row for the next
 * pass. Replicas may sweep at once: deleting twice is harmless.
 */
export class UploadSweeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly deps: {
      readonly store: BlobStore;
      readonly repos: () => Repositories;
      readonly metrics: AttachmentMetrics;
      readonly logger: Logger;
      readonly settings: SweepSettings;
    },
  ) {}

  start(): void {
    if (!this.deps.settings.intervalSeconds || this.timer) return;
    this.timer = setInterval(() => {
      void this.sweep().catch((err: unknown) => this.deps.logger.warn({ err }, 'upload sweep failed'));
    }, this.deps.settings.intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pass; returns how many uploads it deleted. */
  sweep(): Promise<number> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<number> {
    const { store, metrics, settings } = this.deps;
    const repos = this.deps.repos();
    const expired = await repos.uploads.expired(settings.orphanSeconds, settings.retentionSeconds, SWEEP_BATCH);
    const gone: string[] = [];
    for (const upload of expired) {
      try {
        await store.delete(uploadKey(upload.id));
        // Bytes never completed, or PUT again through a URL still valid after completion.
        await store.delete(stagingKey(upload.id));
        if (upload.thumbnail === 'ready') await store.delete(thumbnailKey(upload.id));
        gone.push(upload.id);
      } catch (err) {
        metrics.storageErrors.inc({ operation: 'delete' });
        this.deps.logger.warn({ err, upload_id: upload.id }, 'expired upload not deleted, retried next pass');
      }
    }
    await repos.uploads.markDeleted(gone);
    metrics.swept.inc({ reason: 'expired' }, gone.length);
    return gone.length;
  }
}

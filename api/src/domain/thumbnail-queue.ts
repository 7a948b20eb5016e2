import type { Logger } from '@neonchat/common/runtime';
import type { Repositories } from '../repositories/mod.js';
import { thumbnailKey, uploadKey, type BlobStore } from '../storage/blob-store.js';
import type { AttachmentMetrics } from './attachment-metrics.js';
import { makeThumbnail, THUMBNAIL_TYPE } from './thumbnails.js';

/**
 * Makes thumbnails after the upload's completion has been answered, one at a time (libvips
 * runs on libuv's pool, off the event loop): a slow or hostile image delays no request. A
 * failure leaves `thumbnail = 'failed'` and clients show the image itself.
 */
export class ThumbnailQueue {
  private readonly waiting: string[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly deps: {
      readonly store: BlobStore;
      readonly repos: () => Repositories;
      readonly metrics: AttachmentMetrics;
      readonly logger: Logger;
      readonly maxPixels: number;
    },
  ) {}

  enqueue(uploadId: string): void {
    this.waiting.push(uploadId);
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves when every queued thumbnail is made or failed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    for (let id = this.waiting.shift(); id !== undefined; id = this.waiting.shift()) await this.make(id);
  }

  private async make(uploadId: string): Promise<void> {
    const { store, metrics, logger } = this.deps;
    let outcome: 'ready' | 'failed' = 'failed';
    try {
      const thumbnail = await makeThumbnail(await store.read(uploadKey(uploadId)), this.deps.maxPixels);
      await store.write(thumbnailKey(uploadId), thumbnail, THUMBNAIL_TYPE);
      outcome = 'ready';
    } catch (err) {
      logger.warn({ err, upload_id: uploadId }, 'thumbnail failed');
    }
    metrics.thumbnails.inc({ outcome: outcome === 'ready' ? 'made' : 'failed' });
    await this.deps
      .repos()
      .uploads.setThumbnail(uploadId, outcome)
      .catch((err: unknown) => logger.error({ err, upload_id: uploadId }, 'thumbnail state not saved'));
  }
}

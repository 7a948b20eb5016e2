import { createHmac } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Registry } from 'prom-client';
import type { Logger } from '@neonchat/common/runtime';
import { backgroundRepositories } from './plugins/data-access.js';
import type { BlobStore } from './storage/blob-store.js';
import { LocalBlobStore } from './storage/local-blob-store.js';
import { S3BlobStore } from './storage/s3-blob-store.js';
import { AttachmentMetrics } from './domain/attachment-metrics.js';
import { AttachmentService } from './domain/attachments.js';
import { ThumbnailQueue } from './domain/thumbnail-queue.js';
import { UploadSweeper } from './domain/upload-sweeper.js';

/** The attachment settings of the api's environment (`ApiEnv`), by their variable names. */
export interface AttachmentConfig {
  readonly JWT_SECRET: string;
  readonly UPLOAD_MAX_BYTES: number;
  readonly UPLOAD_DIR: string;
  readonly UPLOAD_SIGNING_SECRET: string;
  readonly UPLOAD_URL_TTL_S: number;
  readonly UPLOAD_QUOTA_BYTES_PER_DAY: number;
  readonly UPLOAD_IMAGE_MAX_PIXELS: number;
  readonly UPLOAD_ORPHAN_TTL_S: number;
  readonly UPLOAD_DELETED_RETENTION_S: number;
  readonly UPLOAD_SWEEP_INTERVAL_S: number;
  readonly UPLOAD_PART_BYTES: number;
  readonly S3_BUCKET: string;
  readonly S3_ENDPOINT: string;
  readonly S3_REGION: string;
  readonly S3_ACCESS_KEY_ID: string;
  readonly S3_SECRET_ACCESS_KEY: string;
  readonly S3_FORCE_PATH_STYLE: boolean;
}

/** The attachment pieces of one api process, made once and shared by its routes and timers. */
export interface AttachmentParts {
  readonly store: BlobStore;
  readonly service: AttachmentService;
  readonly thumbnails: ThumbnailQueue;
  readonly sweeper: UploadSweeper;
  readonly metrics: AttachmentMetrics;
  /** Stops the sweeper and waits for the thumbnails in progress. */
  close(): Promise<void>;
}

/** S3 when a bucket is configured, else the local directory (the default, for `make dev`). */
export function createBlobStore(config: AttachmentConfig): BlobStore {
  if (config.S3_BUCKET) {
    return new S3BlobStore({
      bucket: config.S3_BUCKET,
      region: config.S3_REGION,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      ...(config.S3_ENDPOINT ? { endpoint: config.S3_ENDPOINT } : {}),
      ...(config.S3_ACCESS_KEY_ID ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY } : {}),
    });
  }
  // A key of its own, derived when not given, so a leaked URL signature says nothing about tokens.
  const secret = config.UPLOAD_SIGNING_SECRET || createHmac('sha256', config.JWT_SECRET).update('neonchat upload URLs').digest('base64url');
  return new LocalBlobStore(config.UPLOAD_DIR, secret);
}

export function createAttachmentParts(
  config: AttachmentConfig,
  deps: { readonly orm: MikroORM; readonly registry: Registry; readonly logger: Logger; readonly store?: BlobStore },
): AttachmentParts {
  const store = deps.store ?? createBlobStore(config);
  const metrics = new AttachmentMetrics(deps.registry);
  const repos = backgroundRepositories(deps.orm);
  const thumbnails = new ThumbnailQueue({ store, repos, metrics, logger: deps.logger, maxPixels: config.UPLOAD_IMAGE_MAX_PIXELS });
  const service = new AttachmentService({
    store,
    metrics,
    thumbnails,
    logger: deps.logger,
    settings: {
      maxBytes: config.UPLOAD_MAX_BYTES,
      quotaBytesPerDay: config.UPLOAD_QUOTA_BYTES_PER_DAY,
      urlTtlSeconds: config.UPLOAD_URL_TTL_S,
      maxPixels: config.UPLOAD_IMAGE_MAX_PIXELS,
      partBytes: config.UPLOAD_PART_BYTES,
    },
  });
  const sweeper = new UploadSweeper({
    store,
    repos,
    metrics,
    logger: deps.logger,
    settings: {
      orphanSeconds: config.UPLOAD_ORPHAN_TTL_S,
      retentionSeconds: config.UPLOAD_DELETED_RETENTION_S,
      intervalSeconds: config.UPLOAD_SWEEP_INTERVAL_S,
    },
  });
  return {
    store,
    service,
    thumbnails,
    sweeper,
    metrics,
    async close() {
      await sweeper.stop();
      await thumbnails.idle();
    },
  };
}

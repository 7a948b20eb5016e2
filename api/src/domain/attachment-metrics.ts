import { Counter, type Registry } from 'prom-client';

/** What the attachment path counts (issue 29); the storage-error alert is in deploy/prometheus/alerts.yml. */
export class AttachmentMetrics {
  readonly uploadBytes: Counter;
  readonly uploads: Counter<'outcome'>;
  readonly thumbnails: Counter<'outcome'>;
  readonly storageErrors: Counter<'operation'>;
  readonly swept: Counter<'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.uploadBytes = new Counter({ name: 'neonchat_upload_bytes_total', help: 'Bytes of uploads completed', registers });
    this.uploads = new Counter({
      name: 'neonchat_uploads_total',
      help: 'Upload completions by outcome (complete, or why refused)',
      labelNames: ['outcome'],
      registers,
    });
    this.thumbnails = new Counter({
      name: 'neonchat_thumbnails_total',
      help: 'Thumbnails made or failed',
      labelNames: ['outcome'],
      registers,
    });
    this.storageErrors = new Counter({
      name: 'neonchat_storage_errors_total',
      help: 'Failed calls to the attachment store (local disk or S3)',
      labelNames: ['operation'],
      registers,
    });
    this.swept = new Counter({
      name: 'neonchat_uploads_swept_total',
      help: 'Uploads deleted by the sweeper',
      labelNames: ['reason'],
      registers,
    });
  }
}

import type { AttachmentRef } from '@neonchat/common/contracts';
import { h, replaceChildren } from './dom.js';
import { ApiError, type RestClient } from './net/rest-client.js';

/** One file in the composer's tray: asked for, its bytes going up, checked by the server. */
interface TrayItem {
  readonly file: File;
  state: 'uploading' | 'done' | 'failed';
  progress: number;
  error?: string;
  ref?: AttachmentRef;
  xhr?: XMLHttpRequest;
}

interface UploadTicket {
  upload_id: string;
  upload_url: string;
  method: 'PUT';
  headers: Record<string, string>;
}

/** Human size: 1.2 MB, 340 KB, 12 B. */
export function fileSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

/**
 * The files waiting to go with the next message: each one uploaded at once (ask, PUT with a
 * progress bar and a cancel button, complete), retried on demand when it failed. The message is
 * sent only when every file is done (`ready`).
 */
export class AttachmentTray {
  private items: TrayItem[] = [];
  readonly element = h('ul', { class: 'attachment-tray', attrs: { 'aria-label': 'Attachments' } });

  constructor(
    private readonly rest: RestClient,
    private readonly onChange: () => void = () => undefined,
  ) {}

  add(files: Iterable<File>): void {
    for (const file of files) {
      const item: TrayItem = { file, state: 'uploading', progress: 0 };
      this.items.push(item);
      void this.upload(item);
    }
    this.render();
  }

  get empty(): boolean {
    return this.items.length === 0;
  }

  /** Every file uploaded and checked: the message may go. */
  get ready(): boolean {
    return this.items.length > 0 && this.items.every((i) => i.state === 'done');
  }

  ids(): string[] {
    return this.items.flatMap((i) => (i.ref ? [i.ref.id] : []));
  }

  clear(): void {
    this.items = [];
    this.render();
  }

  private async upload(item: TrayItem): Promise<void> {
    item.state = 'uploading';
    item.progress = 0;
    delete item.error;
    this.render();
    try {
      const ticket = await this.rest.request<UploadTicket>('POST', '/uploads', {
        name: item.file.name || 'pasted',
        size: item.file.size,
        content_type: item.file.type || 'application/octet-stream',
      });
      await this.put(item, ticket);
      item.ref = await this.rest.request<AttachmentRef>('POST', `/uploads/${ticket.upload_id}/complete`, {});
      item.state = 'done';
    } catch (err) {
      if (!this.items.includes(item)) return;
      item.state = 'failed';
      item.error = err instanceof ApiError || err instanceof Error ? err.message : 'upload failed';
    }
    this.render();
  }

  private put(item: TrayItem, ticket: UploadTicket): Promise<void> {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      item.xhr = xhr;
      xhr.open(ticket.method, ticket.upload_url);
      for (const [name, value] of Object.entries(ticket.headers)) xhr.setRequestHeader(name, value);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) item.progress = e.loaded / e.total;
        this.renderProgress(item);
      };
      xhr.onload = () => (xhr.status < 300 ? resolve() : reject(new Error(`upload refused (${xhr.status})`)));
      xhr.onerror = () => reject(new Error('network error'));
      xhr.onabort = () => reject(new Error('cancelled'));
      xhr.send(item.file);
    });
  }

  private cancel(item: TrayItem): void {
    item.xhr?.abort();
    this.items = this.items.filter((i) => i !== item);
    this.render();
  }

  private renderProgress(item: TrayItem): void {
    const bar = this.element.querySelector<HTMLProgressElement>(`progress[data-index="${this.items.indexOf(item)}"]`);
    if (bar) bar.value = item.progress;
  }

  private render(): void {
    replaceChildren(
      this.element,
      ...this.items.map((item, index) =>
        h(
          'li',
          { class: `attachment-item ${item.state}` },
          h('span', { class: 'name' }, `📎 ${item.file.name || 'pasted'} · ${fileSize(item.file.size)}`),
          item.state === 'uploading'
            ? h('progress', { attrs: { max: '1', value: String(item.progress), 'data-index': String(index) } })
            : null,
          item.state === 'failed' ? h('span', { class: 'error' }, item.error ?? 'failed') : null,
          item.state === 'failed'
            ? h('button', { class: 'link', attrs: { type: 'button' }, on: { click: () => void this.upload(item) } }, 'Retry')
            : null,
          h(
            'button',
            { class: 'link', attrs: { type: 'button', 'aria-label': 'Remove attachment' }, on: { click: () => this.cancel(item) } },
            '✕',
          ),
        ),
      ),
    );
    this.element.hidden = this.items.length === 0;
    this.onChange();
  }
}

/** A download URL for an attachment (or its thumbnail), asked of the api each time: they are short-lived. */
async function downloadUrl(rest: RestClient, id: string, thumbnail: boolean): Promise<{ url: string; name: string }> {
  return rest.request('GET', `/attachments/${id}${thumbnail ? '/thumbnail' : ''}`);
}

/** Images as thumbnails that open full size; other files as a named chip that downloads. */
export function attachmentsView(rest: RestClient, refs: readonly AttachmentRef[]): HTMLElement {
  return h('div', { class: 'attachments' }, ...refs.map((ref) => (ref.kind === 'image' ? imageView(rest, ref) : fileChip(rest, ref))));
}

function imageView(rest: RestClient, ref: AttachmentRef): HTMLElement {
  const img = h('img', { class: 'thumbnail', attrs: { alt: ref.name, loading: 'lazy' } });
  if (ref.width && ref.height) img.style.aspectRatio = `${ref.width} / ${ref.height}`;
  // The thumbnail may still be in the making for a second: try a few times, then show the image itself.
  const load = async (attempt: number): Promise<void> => {
    try {
      img.src = (await downloadUrl(rest, ref.id, ref.has_thumbnail && attempt < 5)).url;
    } catch {
      if (attempt < 5) setTimeout(() => void load(attempt + 1), 800);
    }
  };
  void load(0);
  const open = async () => window.open((await downloadUrl(rest, ref.id, false)).url, '_blank', 'noopener');
  return h('button', { class: 'image-attachment', attrs: { type: 'button', title: ref.name }, on: { click: () => void open() } }, img);
}

function fileChip(rest: RestClient, ref: AttachmentRef): HTMLElement {
  const download = async () => {
    const { url, name } = await downloadUrl(rest, ref.id, false);
    const a = h('a', { attrs: { href: url, download: name } });
    document.body.appendChild(a);
    a.click();
    a.remove();
  };
  return h(
    'button',
    { class: 'file-chip', attrs: { type: 'button', title: `Download ${ref.name}` }, on: { click: () => void download() } },
    `📎 ${ref.name} · ${fileSize(ref.size)}`,
  );
}

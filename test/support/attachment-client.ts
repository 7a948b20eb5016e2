/**
 * A client's side of attachments for end-to-end tests: ask for an upload, PUT the bytes where
 * the api says (the api's local store or an S3 URL), complete it, and fetch a download.
 */
import { expect } from 'chai';
import { http } from './system.js';

export type User = { id: string; username: string; token: string };
export type Ticket = { upload_id: string; upload_url: string; method: string; headers: Record<string, string>; expires_at: string };
export type AttachmentRef = {
  id: string;
  name: string;
  size: number;
  content_type: string;
  kind: string;
  width?: number;
  height?: number;
  has_thumbnail: boolean;
};
type ErrorBody = { error?: { code: string; message: string } };

export class AttachmentClient {
  /** `apiUrl` as `startSystem` gives it (`http://host:port/api/v1`). */
  constructor(private readonly apiUrl: string) {}

  private get origin(): string {
    return new URL(this.apiUrl).origin;
  }

  ask(user: User, file: { name: string; size: number; content_type: string }) {
    return http<Ticket & ErrorBody>('POST', `${this.apiUrl}/uploads`, file, user.token);
  }

  /** PUT to a ticket's URL (a path on the api, or absolute for S3). */
  put(ticket: Ticket, bytes: Buffer | string, url = ticket.upload_url): Promise<Response> {
    return fetch(new URL(url, this.origin), { method: 'PUT', headers: ticket.headers, body: bytes });
  }

  complete(user: User, uploadId: string) {
    return http<AttachmentRef & ErrorBody>('POST', `${this.apiUrl}/uploads/${uploadId}/complete`, {}, user.token);
  }

  /** Ask, PUT, complete: the upload's reference (and its ticket, whose URL may still be valid). */
  async upload(user: User, name: string, bytes: Buffer, contentType: string): Promise<AttachmentRef & { ticket: Ticket }> {
    const ticket = await this.ask(user, { name, size: bytes.length, content_type: contentType });
    expect(ticket.status, JSON.stringify(ticket.body)).to.equal(201);
    expect((await this.put(ticket.body, bytes)).status).to.equal(200);
    const done = await this.complete(user, ticket.body.upload_id);
    expect(done.status, JSON.stringify(done.body)).to.equal(200);
    return { ...done.body, ticket: ticket.body };
  }

  /** `GET /attachments/{id}[/thumbnail]`: the download ticket. */
  downloadUrl(user: User, id: string, variant: '' | '/thumbnail' = '') {
    return http<{ url: string; name: string; content_type: string } & ErrorBody>(
      'GET',
      `${this.apiUrl}/attachments/${id}${variant}`,
      undefined,
      user.token,
    );
  }

  /** The bytes a user gets for an attachment, or the status of the refusal. */
  async download(user: User, id: string): Promise<{ status: number; bytes?: Buffer }> {
    const ticket = await this.downloadUrl(user, id);
    if (ticket.status !== 200) return { status: ticket.status };
    const res = await fetch(new URL(ticket.body.url, this.origin));
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  }
}

import type pg from 'pg';
import { attachmentRefFromRow, NeonError, type AttachmentRef, type UploadRowLike } from '@neonchat/common/contracts';
import { CLAIM_UPLOADS, UPLOAD_CLAIM_STATE } from '@neonchat/common/queries';

interface ClaimState {
  readonly id: string;
  readonly owner_id: string;
  readonly status: string;
  readonly declared_size: string;
  readonly claimed_by: string | null;
}

/**
 * Attaching uploads to a message being sent (issue 29): before the gateway publishes, every
 * upload is claimed for this send in PostgreSQL, so the event carries only files that are the
 * sender's, complete, within the size limit and on no other message. The claim is keyed by
 * the send's dedup id: a resend of the same request finds its uploads claimed by itself.
 */
export class AttachmentClaims {
  constructor(
    private readonly pool: pg.Pool,
    private readonly maxBytes: number,
  ) {}

  /** The uploads' references in the order given, or a NeonError naming the first refusal. */
  async claim(senderId: string, sendId: string, uploadIds: readonly string[]): Promise<AttachmentRef[]> {
    const ids = uploadIds.map((id) => id.toLowerCase());
    const literal = `{${ids.join(',')}}`;
    const { rows } = await this.pool.query<UploadRowLike>(CLAIM_UPLOADS, [literal, senderId, sendId, this.maxBytes, ids.length]);
    if (rows.length === ids.length) {
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => attachmentRefFromRow(byId.get(id)!));
    }
    throw await this.refusal(senderId, sendId, ids, literal);
  }

  private async refusal(senderId: string, sendId: string, ids: readonly string[], literal: string): Promise<NeonError> {
    const { rows } = await this.pool.query<ClaimState>(UPLOAD_CLAIM_STATE, [literal]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const details = { field: 'attachments' };
    for (const id of ids) {
      const row = byId.get(id);
      // Someone else's upload is as unknown as a missing one.
      if (!row || row.owner_id !== senderId || row.status === 'deleted') {
        return new NeonError('not_found', `attachments: no upload ${id} of yours`, { details });
      }
      if (row.status !== 'complete') return new NeonError('conflict', `attachments: upload ${id} is not complete`, { details });
      if (Number(row.declared_size) > this.maxBytes) {
        return new NeonError('payload_too_large', `attachments: upload ${id} is over ${this.maxBytes} bytes`, { details });
      }
      if (row.claimed_by !== null && row.claimed_by !== sendId) {
        return new NeonError('conflict', `attachments: upload ${id} is on another message`, { details });
      }
    }
    // Changed between the claim and this look (a concurrent send): the same as taken.
    return new NeonError('conflict', 'attachments: an upload was taken by another message', { details });
  }
}

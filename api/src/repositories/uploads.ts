import type { EntityManager } from '@mikro-orm/postgresql';
import { NeonError } from '@neonchat/common/contracts';
import { uuidArray } from './sql-arrays.js';

/** PostgreSQL's `lock_not_available` (a `nowait` lock held by another transaction). */
const LOCK_NOT_AVAILABLE = '55P03';

export type UploadStatus = 'pending' | 'complete' | 'deleted';
export type ThumbnailState = 'none' | 'pending' | 'ready' | 'failed';

export interface UploadRow {
  readonly id: string;
  readonly owner_id: string;
  readonly name: string;
  readonly declared_type: string;
  readonly declared_size: string;
  readonly status: UploadStatus;
  readonly content_type: string | null;
  readonly kind: 'image' | 'file' | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly thumbnail: ThumbnailState;
  readonly multipart_id: string | null;
  readonly created_at: string | Date;
}

export interface CompletedUpload {
  readonly contentType: string;
  readonly kind: 'image' | 'file';
  readonly width?: number;
  readonly height?: number;
  readonly thumbnail: ThumbnailState;
}

const COLUMNS =
  'id, owner_id, name, declared_type, declared_size, status, content_type, kind, width, height, thumbnail, multipart_id, created_at';

/**
 * `uploads` rows (issue 29). The api writes every column but `claimed_by` (the gateway's,
 * when a send attaches the upload); `message_attachments` is the persister's and only read here.
 */
export class UploadRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Inserts an upload if the owner's uploads of the last 24 hours and this one fit in `quota`
   * bytes; false when they do not. The owner's uploads are counted under a per-owner advisory
   * lock, so two requests at once cannot both take the last of the quota.
   */
  async insertWithinQuota(
    row: { id: string; ownerId: string; name: string; declaredType: string; size: number; multipartId?: string },
    quota: number,
  ): Promise<boolean> {
    return this.em.transactional(async (tx) => {
      await tx.execute(`select pg_advisory_xact_lock(hashtextextended('uploads:' || ?, 0))`, [row.ownerId]);
      const [used] = await tx.execute<Array<{ bytes: string | null }>>(
        `select sum(declared_size) as bytes from uploads where owner_id = ? and created_at > now() - interval '24 hours'`,
        [row.ownerId],
      );
      if (Number(used?.bytes ?? 0) + row.size > quota) return false;
      await tx.execute(`insert into uploads (id, owner_id, name, declared_type, declared_size, multipart_id) values (?, ?, ?, ?, ?, ?)`, [
        row.id,
        row.ownerId,
        row.name,
        row.declaredType,
        row.size,
        row.multipartId ?? null,
      ]);
      return true;
    });
  }

  async find(id: string): Promise<UploadRow | undefined> {
    const rows = await this.em.execute<UploadRow[]>(`select ${COLUMNS} from uploads where id = ?`, [id]);
    return rows[0];
  }

  /** Marks a pending upload complete with what its bytes are; false if it was not pending. */
  async complete(id: string, done: CompletedUpload): Promise<boolean> {
    const rows = await this.em.execute<Array<{ id: string }>>(
      `update uploads set status = 'complete', completed_at = now(), content_type = ?, kind = ?, width = ?, height = ?, thumbnail = ?
        where id = ? and status = 'pending' returning id`,
      [done.contentType, done.kind, done.width ?? null, done.height ?? null, done.thumbnail, id],
    );
    return rows.length === 1;
  }

  /**
   * Runs `work` while holding upload `id`'s row lock, with a repository on the locking
   * transaction (write the upload through it, or wait on yourself). Undefined, without running
   * it, when the upload is no longer pending. A second completion of the same upload at once
   * is refused (`conflict`), not queued: it would check the same bytes again.
   */
  async whileCompleting<T>(id: string, work: (locked: UploadRepository) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.em.transactional(async (tx) => {
        const rows = await tx.execute<Array<{ id: string }>>(
          `select id from uploads where id = ? and status = 'pending' for update nowait`,
          [id],
        );
        return rows.length ? work(new UploadRepository(tx)) : undefined;
      });
    } catch (err) {
      if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE)
        throw new NeonError('conflict', 'this upload is being completed; retry shortly');
      throw err;
    }
  }

  async setThumbnail(id: string, state: ThumbnailState): Promise<void> {
    await this.em.execute(`update uploads set thumbnail = ? where id = ?`, [state, id]);
  }

  /** Marks uploads deleted (their files are gone or going); returns those it changed. */
  async markDeleted(ids: readonly string[]): Promise<void> {
    if (!ids.length) return;
    await this.em.execute(`update uploads set status = 'deleted', deleted_at = now() where id = any(?::uuid[]) and status <> 'deleted'`, [
      uuidArray(ids),
    ]);
  }

  /**
   * Whether `userId` may fetch upload `id`: its owner, or an active member of a chat where a
   * message that is not deleted shows it.
   */
  async canDownload(id: string, userId: string): Promise<boolean> {
    const rows = await this.em.execute<Array<{ ok: boolean }>>(
      `select exists (
         select 1 from message_attachments ma
           join messages m on m.id = ma.message_id and m.deleted_at is null
           join chat_members cm on cm.chat_id = ma.chat_id and cm.user_id = ? and cm.status = 'active'
          where ma.upload_id = ?) as ok`,
      [userId, id],
    );
    return rows[0]?.ok === true;
  }

  /**
   * Uploads to delete now, at most `limit`: never shown by a message and asked for more than
   * `orphanSeconds` ago, or shown only by messages deleted more than `retentionSeconds` ago.
   */
  async expired(orphanSeconds: number, retentionSeconds: number, limit: number): Promise<Array<{ id: string; thumbnail: ThumbnailState }>> {
    return this.em.execute<Array<{ id: string; thumbnail: ThumbnailState }>>(
      `select u.id, u.thumbnail from uploads u
        where u.status <> 'deleted'
          and (
            (u.created_at < now() - make_interval(secs => ?)
              and not exists (select 1 from message_attachments ma where ma.upload_id = u.id))
            or (exists (select 1 from message_attachments ma where ma.upload_id = u.id)
              and not exists (
                select 1 from message_attachments ma join messages m on m.id = ma.message_id
                 where ma.upload_id = u.id and (m.deleted_at is null or m.deleted_at > now() - make_interval(secs => ?)))))
        order by u.created_at limit ?`,
      [orphanSeconds, retentionSeconds, limit],
    );
  }
}

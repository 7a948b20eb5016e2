import { Migration } from '@mikro-orm/migrations';

/**
 * Attachments (issue 29).
 * - `uploads`: one row per file a user asked to upload; the api writes it (create, complete,
 *   thumbnail, sweep) and the gateway only claims it for a send (`claimed_by`, the send's
 *   dedup id: a resend of the same request claims it again, another message cannot).
 * - `message_attachments`: which message shows which upload, written by the persister in the
 *   message's transaction. Many rows may name one upload (a forward shares the file, never a
 *   copy), so no unique index on `upload_id`; no foreign keys, as for reactions: the persister
 *   writes in stream order and readers join.
 * - `messages.attachments`: the `AttachmentRef`s of the event as sent, so history and open
 *   read a message in one row.
 */
export class Migration20261207200000Attachments extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table uploads (
        id uuid primary key,
        owner_id uuid not null references users (id) on delete cascade,
        name varchar(255) not null,
        declared_type varchar(127) not null,
        declared_size bigint not null check (declared_size >= 0),
        status varchar(10) not null default 'pending' check (status in ('pending', 'complete', 'deleted')),
        content_type varchar(127),
        kind varchar(5) check (kind in ('image', 'file')),
        width integer,
        height integer,
        thumbnail varchar(7) not null default 'none' check (thumbnail in ('none', 'pending', 'ready', 'failed')),
        multipart_id text,
        claimed_by text,
        created_at timestamptz not null default now(),
        completed_at timestamptz,
        deleted_at timestamptz
      );`);
    this.addSql(`create index uploads_owner_created_idx on uploads (owner_id, created_at);`);
    this.addSql(`create index uploads_live_created_idx on uploads (created_at) where status <> 'deleted';`);
    this.addSql(`
      create table message_attachments (
        message_id uuid not null,
        upload_id uuid not null,
        chat_id uuid not null references chats (id) on delete cascade,
        position smallint not null,
        primary key (message_id, upload_id)
      );`);
    this.addSql(`create index message_attachments_upload_idx on message_attachments (upload_id);`);
    this.addSql(`alter table messages add column attachments jsonb;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table messages drop column attachments;`);
    this.addSql(`drop table message_attachments;`);
    this.addSql(`drop table uploads;`);
  }
}

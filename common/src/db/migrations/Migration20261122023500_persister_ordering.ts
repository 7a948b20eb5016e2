import { Migration } from '@mikro-orm/migrations';

/**
 * What the persister needs to apply a chat's edits and deletes in stream order when its
 * replicas (or its batches) see them out of order:
 * - `messages.change_seq`: stream sequence of the last edit/delete applied, so an older edit
 *   never overwrites a newer one;
 * - `message_pending_changes`: edits/deletes that arrived before their message was in the
 *   table, applied (in sequence order) when the message lands;
 * - room on each page of `chats`, so the persister's per-batch update of a chat's
 *   last-message pointer stays a HOT update (no index writes) instead of moving the row.
 */
export class Migration20261122023500PersisterOrdering extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table messages add column change_seq bigint;`);
    this.addSql(`alter table chats set (fillfactor = 70);`);
    this.addSql(`
      create table message_pending_changes (
        message_id uuid not null,
        seq bigint not null,
        chat_id uuid not null references chats (id) on delete cascade,
        kind varchar(8) not null check (kind in ('edit', 'delete')),
        text text,
        actor_id uuid not null,
        at timestamptz not null,
        parked_at timestamptz not null default now(),
        primary key (message_id, seq)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists message_pending_changes;');
    this.addSql('alter table messages drop column if exists change_seq;');
    this.addSql('alter table chats reset (fillfactor);');
  }
}

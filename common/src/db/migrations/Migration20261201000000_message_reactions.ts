import { Migration } from '@mikro-orm/migrations';

/**
 * Emoji reactions, one row per (message, user, emoji) ever used. A removal keeps the row with
 * `active = false` and the stream sequence of the change in `change_seq`, so the persister can
 * apply adds and removes in any batch order (and replay them) and the last one in stream
 * order always wins. No foreign key to `messages`: a reaction may be written before its
 * message by another persister replica; readers join on the message.
 */
export class Migration20261201000000MessageReactions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table message_reactions (
        message_id uuid not null,
        user_id uuid not null,
        emoji varchar(32) not null check (emoji <> ''),
        chat_id uuid not null references chats (id) on delete cascade,
        active boolean not null,
        change_seq bigint not null,
        primary key (message_id, emoji, user_id)
      );`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table message_reactions;`);
  }
}

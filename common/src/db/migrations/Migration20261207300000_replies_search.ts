import { Migration } from '@mikro-orm/migrations';

/**
 * Replies, forwards, mentions and full-text search (issue 30).
 * - `messages.reply_to_id`: the message this one answers (same chat). `reply_preview` keeps the
 *   snapshot the event carried (author, first 100 code points, attachments count) for readers
 *   that cannot see the original row; history overlays the original's current text/deletion.
 *   Indexed per original (partial: most messages answer none) for the replies page and counts.
 * - `messages.forwarded_from`: where a forward came from, as its event stored it.
 * - `messages.mentions` and `message_mentions`: members mentioned with @username. The side table
 *   is keyed for the chat list's "unread mentions" count: one range scan per (user, chat)
 *   from the read mark on.
 * - Search: a GIN index over `to_tsvector('russian', text) || to_tsvector('simple', text)`
 *   (`MESSAGE_SEARCH_VECTOR`). PostgreSQL's `russian` configuration stems Cyrillic words with
 *   the Russian Snowball stemmer and Latin (ASCII) words with the English one, so one stemmed
 *   vector serves both languages ("сообщения" finds "сообщение", "messages" finds "message").
 *   The `simple` half keeps each word unstemmed for the prefix of the word being typed: a stem
 *   is often shorter than what was typed ("importan" is no prefix of the stem "import"), so the
 *   last word matches as a prefix of either. An expression index, not a stored column: the heap
 *   does not grow and the persister's insert computes it once.
 */
export class Migration20261207300000RepliesSearch extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table messages
        add column reply_to_id uuid,
        add column reply_preview jsonb,
        add column forwarded_from jsonb,
        add column mentions uuid[];`);
    this.addSql(`create index messages_reply_to_idx on messages (reply_to_id, seq) where reply_to_id is not null;`);
    this.addSql(`
      create table message_mentions (
        user_id uuid not null,
        chat_id uuid not null references chats (id) on delete cascade,
        seq bigint not null,
        message_id uuid not null,
        primary key (user_id, chat_id, seq)
      );`);
    this.addSql(`create index messages_search_idx on messages using gin ((to_tsvector('russian', text) || to_tsvector('simple', text)));`);
  }

  override async down(): Promise<void> {
    this.addSql('drop index if exists messages_search_idx;');
    this.addSql('drop table if exists message_mentions;');
    this.addSql('drop index if exists messages_reply_to_idx;');
    this.addSql(`alter table messages drop column if exists reply_to_id, drop column if exists reply_preview,
      drop column if exists forwarded_from, drop column if exists mentions;`);
  }
}

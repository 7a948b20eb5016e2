import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000000Initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table users (
        id uuid primary key default gen_random_uuid(),
        username varchar(50) not null,
        phone varchar(32),
        password_hash text not null,
        last_seen_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );`);
    // Case-insensitive uniqueness; text_pattern_ops serves the `query=<prefix>` user search.
    this.addSql(`create unique index users_username_lower_key on users (lower(username) text_pattern_ops);`);
    this.addSql(`create unique index users_phone_key on users (phone) where phone is not null;`);

    this.addSql(`
      create table chats (
        id uuid primary key,
        type varchar(16) not null check (type in ('direct', 'group', 'channel')),
        name varchar(100),
        user1_id uuid references users (id),
        user2_id uuid references users (id),
        created_by uuid not null references users (id),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_message_id uuid,
        last_message_seq bigint,
        check ((type = 'direct') = (user1_id is not null and user2_id is not null))
      );`);
    // One direct chat per unordered pair of users, whoever created it.
    this.addSql(`
      create unique index chats_direct_pair_key on chats (least(user1_id, user2_id), greatest(user1_id, user2_id))
        where type = 'direct';`);

    this.addSql(`
      create table chat_members (
        chat_id uuid not null references chats (id) on delete cascade,
        user_id uuid not null references users (id),
        role varchar(16) not null default 'member' check (role in ('admin', 'member')),
        status varchar(16) not null default 'active' check (status in ('active', 'banned', 'left')),
        joined_at timestamptz not null default now(),
        last_read_seq bigint not null default 0,
        primary key (chat_id, user_id)
      );`);
    this.addSql(`create index chat_members_user_idx on chat_members (user_id, chat_id);`);

    this.addSql(`
      create table messages (
        id uuid primary key,
        chat_id uuid not null references chats (id) on delete cascade,
        seq bigint not null,
        sender_id uuid not null,
        text text not null,
        created_at timestamptz not null,
        updated_at timestamptz,
        deleted_at timestamptz
      );`);
    // Keyset pagination walks (chat_id, seq): the stream's order, no OFFSET.
    this.addSql(`create unique index messages_chat_seq_key on messages (chat_id, seq);`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists messages;');
    this.addSql('drop table if exists chat_members;');
    this.addSql('drop table if exists chats;');
    this.addSql('drop table if exists users;');
  }
}

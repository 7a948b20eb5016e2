import { EntitySchema } from '@mikro-orm/core';
import type { ChatType, MemberRole, MemberStatus } from '../contracts/model.js';

/**
 * The data model, mapped for MikroORM. Schemas rather than decorators: they need no
 * reflect-metadata and run the same under tsc and tsx. The tables themselves are created by
 * the migrations in ./migrations, never by schema sync.
 */
export interface UserRow {
  id: string;
  username: string;
  phone?: string | null;
  passwordHash: string;
  lastSeenAt?: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ChatRow {
  id: string;
  type: ChatType;
  name?: string | null;
  /** The two sides of a direct chat; null for groups and channels. */
  user1Id?: string | null;
  user2Id?: string | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  lastMessageId?: string | null;
  lastMessageSeq?: string | null;
}

export interface ChatMemberRow {
  chatId: string;
  userId: string;
  role: MemberRole;
  status: MemberStatus;
  joinedAt: Date;
  /** Stream sequence of the last message this member has read (bigint as string). */
  lastReadSeq: string;
}

export interface MessageRow {
  id: string;
  chatId: string;
  /** Position in the CHAT_EVENTS stream: orders the chat (bigint as string). */
  seq: string;
  senderId: string;
  text: string;
  createdAt: Date;
  updatedAt?: Date | null;
  deletedAt?: Date | null;
}

export const UserEntity = new EntitySchema<UserRow>({
  name: 'User',
  tableName: 'users',
  properties: {
    id: { type: 'uuid', primary: true },
    username: { type: 'string', length: 50 },
    phone: { type: 'string', length: 32, nullable: true },
    passwordHash: { type: 'text' },
    lastSeenAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    updatedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date(), onUpdate: () => new Date() },
  },
});

export const ChatEntity = new EntitySchema<ChatRow>({
  name: 'Chat',
  tableName: 'chats',
  properties: {
    id: { type: 'uuid', primary: true },
    type: { type: 'string', length: 16 },
    name: { type: 'string', length: 100, nullable: true },
    user1Id: { type: 'uuid', nullable: true },
    user2Id: { type: 'uuid', nullable: true },
    createdBy: { type: 'uuid' },
    createdAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    updatedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    lastMessageId: { type: 'uuid', nullable: true },
    lastMessageSeq: { type: 'bigint', nullable: true },
  },
});

export const ChatMemberEntity = new EntitySchema<ChatMemberRow>({
  name: 'ChatMember',
  tableName: 'chat_members',
  properties: {
    chatId: { type: 'uuid', primary: true },
    userId: { type: 'uuid', primary: true },
    role: { type: 'string', length: 16 },
    status: { type: 'string', length: 16 },
    joinedAt: { type: 'Date', columnType: 'timestamptz', onCreate: () => new Date() },
    lastReadSeq: { type: 'bigint', default: 0 },
  },
});

export const MessageEntity = new EntitySchema<MessageRow>({
  name: 'Message',
  tableName: 'messages',
  properties: {
    id: { type: 'uuid', primary: true },
    chatId: { type: 'uuid' },
    seq: { type: 'bigint' },
    senderId: { type: 'uuid' },
    text: { type: 'text' },
    createdAt: { type: 'Date', columnType: 'timestamptz' },
    updatedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
    deletedAt: { type: 'Date', columnType: 'timestamptz', nullable: true },
  },
});

export const ALL_ENTITIES = [UserEntity, ChatEntity, ChatMemberEntity, MessageEntity];

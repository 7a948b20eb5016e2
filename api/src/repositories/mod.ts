import type { EntityManager } from '@mikro-orm/postgresql';
import { ChatRepository } from './chats.js';
import { MemberRepository } from './members.js';
import { MessageRepository } from './messages.js';
import { UploadRepository } from './uploads.js';
import { UserRepository } from './users.js';
import { SessionRepository } from './sessions.js';
import { BlockRepository } from './blocks.js';
import { AccountRepository } from './accounts.js';

/**
 * Every SQL statement of the api, one repository per aggregate, all on one entity manager
 * (the request's fork, or a transaction's). Domain functions receive this, never an `em`.
 */
export class Repositories {
  readonly users: UserRepository;
  readonly chats: ChatRepository;
  readonly members: MemberRepository;
  readonly messages: MessageRepository;
  readonly sessions: SessionRepository;
  readonly blocks: BlockRepository;
  readonly accounts: AccountRepository;
  readonly uploads: UploadRepository;

  constructor(private readonly em: EntityManager) {
    this.users = new UserRepository(em);
    this.chats = new ChatRepository(em);
    this.members = new MemberRepository(em);
    this.messages = new MessageRepository(em);
    this.sessions = new SessionRepository(em);
    this.blocks = new BlockRepository(em);
    this.accounts = new AccountRepository(em);
    this.uploads = new UploadRepository(em);
  }

  /** Runs `work` in one transaction, with repositories bound to it; commits when it resolves. */
  transactional<T>(work: (tx: Repositories) => Promise<T>): Promise<T> {
    return this.em.transactional((tx) => work(new Repositories(tx)));
  }
}

export {
  ChatRepository,
  MemberRepository,
  MessageRepository,
  UserRepository,
  SessionRepository,
  BlockRepository,
  AccountRepository,
  UploadRepository,
};
export type { ClientInfo } from './sessions.js';
export type { UploadRow, ThumbnailState } from './uploads.js';
export { DuplicateUserError } from './users.js';
export type { MemberState } from './members.js';
export type { HistoryDirection } from './messages.js';

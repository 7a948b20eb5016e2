import type { AccountRepository } from '../repositories/accounts.js';
import type { BlockRepository } from '../repositories/blocks.js';
import type { SessionRepository } from '../repositories/sessions.js';

/** The repositories the account domain (sessions, blocks, password, deletion) works on. */
export interface AccountRepos {
  readonly sessions: SessionRepository;
  readonly blocks: BlockRepository;
  readonly accounts: AccountRepository;
  transactional<T>(work: (tx: AccountRepos) => Promise<T>): Promise<T>;
}

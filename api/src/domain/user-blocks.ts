import type { NatsConnection } from '@nats-io/nats-core';
import { ACCOUNT_SUBJECTS, NeonError, toIsoTimestamp, type BlocksChangedEvent } from '@neonchat/common/contracts';
import type { Logger } from '@neonchat/common/runtime';
import type { Repositories } from '../repositories/mod.js';

export interface BlockedUserView {
  readonly id: string;
  readonly username: string;
  readonly blocked_at: string;
}

/** A user blocks at most this many others (bounds the list, the search filter and the table). */
export const MAX_BLOCKS = 10_000;

/**
 * Blocking: a blocked user cannot open a new 1:1 chat with the blocker, post or react in their
 * existing one (the gateway checks), nor find them in search. Groups are unaffected. Each
 * change is announced on `account.blocks.changed` so gateways drop their cached answers at once
 * (best effort: gateways also forget cached answers after a minute).
 */
export class UserBlocks {
  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  /** `userExists` is the account check of the caller's repositories (deleted accounts are not). */
  async block(repos: Repositories, blockerId: string, blockedId: string, userExists: (id: string) => Promise<boolean>): Promise<void> {
    if (blockerId === blockedId)
      throw new NeonError('validation_failed', 'user_id: you cannot block yourself', { details: { field: 'user_id' } });
    if (!(await userExists(blockedId))) throw new NeonError('not_found', 'no such user', { details: { field: 'user_id' } });
    if (!(await repos.blocks.exists(blockerId, blockedId)) && (await repos.blocks.count(blockerId)) >= MAX_BLOCKS)
      throw new NeonError('validation_failed', `user_id: at most ${MAX_BLOCKS} blocked users`, { details: { field: 'user_id' } });
    await repos.blocks.add(blockerId, blockedId);
    await this.announce({ blocker_id: blockerId, blocked_id: blockedId, blocked: true });
  }

  /** Idempotent: unblocking someone not blocked answers the same. */
  async unblock(repos: Repositories, blockerId: string, blockedId: string): Promise<void> {
    await repos.blocks.remove(blockerId, blockedId);
    await this.announce({ blocker_id: blockerId, blocked_id: blockedId, blocked: false });
  }

  async list(repos: Repositories, blockerId: string): Promise<BlockedUserView[]> {
    const rows = await repos.blocks.list(blockerId, MAX_BLOCKS);
    return rows.map((r) => ({ id: r.id, username: r.username, blocked_at: toIsoTimestamp(r.created_at) }));
  }

  /**
   * Published and flushed before the answer: once the NATS server has the announcement it has
   * routed it to every gateway, which apply blocks from memory (no query per send), so the
   * blocked user's next post after the 204 is refused. Bounded: a NATS outage delays the answer
   * by at most a second (the gateways then re-read blocks after their reconnect).
   */
  async announce(event: BlocksChangedEvent): Promise<void> {
    try {
      this.nc.publish(ACCOUNT_SUBJECTS.blocksChanged, JSON.stringify(event));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.nc.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))]).finally(() =>
        clearTimeout(timer),
      );
    } catch (err) {
      this.logger.error({ err }, 'block change announcement failed');
    }
  }
}

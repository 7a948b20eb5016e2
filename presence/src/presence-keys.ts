/**
 * Redis keys. The per-user ones are the seed spec's (§3.4); the `presence:*` ones are shared by
 * every presence replica and hold what a TTL alone can't tell: which connections are overdue,
 * whose offline announcement is waiting out the grace period, and who was announced online.
 */
export const presenceKeys = {
  /** JSON `{user_id, status, last_seen, device_id?}` with a TTL; absent means offline. */
  online: (userId: string) => `online:${userId}`,
  /** Set of the user's live connection ids (`<gatewayId>:<uuid>`, so the owner is in the id). */
  connections: (userId: string) => `user:${userId}:ws_connections`,
  /** Sorted set `{user}|{connection}` → unix ms after which the connection is presumed dead. */
  connectionDeadlines: 'presence:connection_deadlines',
  /** Sorted set user → unix ms at which their offline is announced unless they come back. */
  pendingOffline: 'presence:pending_offline',
  /** Set of users announced online (and not yet announced offline): the transition ledger. */
  announcedOnline: 'presence:online_users',
  /** Marks a closed connection for a while, so a late connect or heartbeat can't revive it. */
  closedConnection: (connectionId: string) => `presence:closed:${connectionId}`,
} as const;

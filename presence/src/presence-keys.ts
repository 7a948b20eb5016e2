/** Redis keys of the seed spec (§3.4). */
export const presenceKeys = {
  online: (userId: string) => `online:${userId}`,
  connections: (userId: string) => `user:${userId}:ws_connections`,
} as const;

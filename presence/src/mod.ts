export { createPresenceService } from './presence-service.js';
export { RedisPresenceStore } from './redis-presence-store.js';
export { MemoryPresenceStore } from './memory-presence-store.js';
export { connectionLifeMs } from './presence-store.js';
export { LastSeenStore } from './last-seen-store.js';
export { presenceKeys } from './presence-keys.js';

export type { PresenceService, PresenceConfig } from './presence-service.js';
export type {
  OnlineStatus,
  PresenceEvent,
  PresenceReport,
  PresenceStore,
  PresenceStoreSettings,
  PresenceTransition,
} from './presence-store.js';
export type { PresenceMetrics } from './presence-metrics.js';

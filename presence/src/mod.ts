export { createPresenceService } from './presence-service.js';
export { RedisPresenceStore } from './redis-presence-store.js';
export { MemoryPresenceStore } from './memory-presence-store.js';
export { connectionLifeMs } from './presence-store.js';
export { LastSeenStore } from './last-seen-store.js';
export { presenceKeys } from './presence-keys.js';
export { createPresenceMetrics } from './presence-metrics.js';

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
export { PresenceAnnouncer } from './presence-announcer.js';
export { PresenceSweeper, SWEEP_CALLS_PER_TICK, SWEEP_LIMIT } from './presence-sweeper.js';
export { QueryHandler } from './query-handler.js';
export { ReportHandlers } from './report-handlers.js';
export { ReportBatcher } from './report-batcher.js';
export type { PresenceAnnouncerDeps } from './presence-announcer.js';
export type { PresenceSweeperDeps } from './presence-sweeper.js';
export type { QueryHandlerDeps } from './query-handler.js';
export type { PresenceMsg, ReportHandlersDeps } from './report-handlers.js';

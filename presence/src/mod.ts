export { createPresenceService } from './presence-service.js';
export { PresenceStore } from './presence-store.js';
export { LastSeenStore } from './last-seen-store.js';
export { presenceKeys } from './presence-keys.js';

export type { PresenceService, PresenceConfig } from './presence-service.js';
export type { OnlineStatus, PresenceEvent, PresenceReport, PresenceStoreSettings, PresenceTransition } from './presence-store.js';
export type { PresenceMetrics } from './presence-metrics.js';

export { createPresenceService } from './presence-service.js';
export type { PresenceService, PresenceConfig } from './presence-service.js';
export { PresenceStore } from './presence-store.js';
export { presenceKeys } from './presence-keys.js';

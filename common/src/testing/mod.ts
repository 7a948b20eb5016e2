export {
  CO_LOCATED_NATS_GO_ENV,
  startNats,
  startPostgres,
  startRedis,
  freePort,
  provisionTestStreams,
  stopChild,
  TEST_STREAM_SETTINGS,
  TEST_DB_USER,
} from './servers.js';
export type { RunningServer } from './servers.js';
export { processAlive, allPids, childrenOf, procStatFields } from './processes.js';
export { createDatabase, withDatabase } from './database.js';
export { testEnvironment, type TestEnvironment } from './environment.js';
export { waitFor, nextEvent } from './wait.js';
export { testServiceConfig, TEST_JWT_SECRET, TEST_RATE_LIMIT_PER_MINUTE } from './service-config.js';
export { TestSocket } from './test-socket.js';
export { seedUser, seedChat, seedGroupChats, seedMessages } from './seed.js';
export type { SeedDb, SeedMember } from './seed.js';
export { pngChunk } from './png.js';

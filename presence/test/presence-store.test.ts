import { Redis } from 'ioredis';
import { testEnvironment } from '@neonchat/common/testing';
import { MemoryPresenceStore, RedisPresenceStore } from '../src/mod.js';
import { presenceStoreContract } from './presence-store-contract.js';

presenceStoreContract('memory', async (settings) => ({ store: new MemoryPresenceStore(settings), close: async () => undefined }));

presenceStoreContract('redis @integration', async (settings) => {
  const redis = new Redis(testEnvironment().redisUrl);
  return { store: new RedisPresenceStore(redis, settings), close: async () => void redis.disconnect() };
});

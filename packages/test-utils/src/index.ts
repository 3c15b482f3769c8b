export {
  freePort,
  type RedisServer,
  redisServerAvailable,
  type StartRedisServerOptions,
  skipWithoutRedis,
  startRedisServer,
} from './redis.js';
export { runStorageConformance, type StorageConformanceOptions } from './storage-conformance.js';

export {
  freePort,
  type RedisServer,
  redisServerAvailable,
  type StartRedisServerOptions,
  skipWithoutRedis,
  startRedisServer,
} from './redis.js';

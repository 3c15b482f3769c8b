export {
  type AdapterBinding,
  type ContractClient,
  type ContractRequestOptions,
  type ContractResponse,
  type JsonBody,
  nodeStream,
  runAdapterContract,
  type StreamBody,
} from './adapter-contract.js';
export {
  freePort,
  type RedisServer,
  redisServerAvailable,
  type StartRedisSentinelOptions,
  type StartRedisServerOptions,
  skipWithoutRedis,
  startRedisSentinel,
  startRedisServer,
} from './redis.js';
export { runStorageConformance, type StorageConformanceOptions } from './storage-conformance.js';
export { type TestkitFixture, useTestkit } from './testkit-fixture.js';

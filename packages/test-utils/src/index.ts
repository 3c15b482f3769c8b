// Private helpers of this repository's tests. The conformance suites are
// public, in `@forge/testkit/conformance`; nothing of them is re-exported here.

export { type MtlsClientFactory, mtlsAdapterSuite, type TlsMaterial } from './mtls.js';
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
export { type TestkitFixture, useTestkit } from './testkit-fixture.js';

// Private helpers of this repository's tests. The conformance suites are
// public, in `@forge/testkit/conformance`; nothing of them is re-exported here.

export { bundleFleetChild, type FleetBundle } from './fleet/bundle.js';
export type { FleetEndpoint, ResultMessage } from './fleet/child-kit.js';
export { loopbackProvider } from './fleet/provider.js';
export { type Fleet, startFleet, summary } from './fleet/runner.js';
export {
  type EndpointCounts,
  startTokenEndpoint,
  type TokenEndpoint,
} from './fleet/token-endpoint.js';
export { type MtlsClientFactory, mtlsAdapterSuite, type TlsMaterial } from './mtls.js';
export {
  type PostgresServer,
  pgbouncerAvailable,
  postgresAvailable,
  skipWithoutPostgres,
  startPgbouncer,
  startPostgres,
} from './postgres.js';
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

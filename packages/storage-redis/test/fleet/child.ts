// One process of the fleet: a TokenManager on RedisTokenStorage, driven by
// the parent over IPC (see @forge/test-utils/fleet-child).
import { runFleetChild } from '@forge/test-utils/fleet-child';
import { Redis } from 'ioredis';
import { RedisTokenStorage } from '../../src/index.js';

const [redisUrl, endpointJson] = process.argv.slice(2);
if (!redisUrl || !endpointJson) throw new Error('usage: child <redis url> <endpoint json>');
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
// Outages are part of the tests; the storage reports them through the manager.
redis.on('error', () => {});
runFleetChild(endpointJson, new RedisTokenStorage(redis), () => redis.quit());

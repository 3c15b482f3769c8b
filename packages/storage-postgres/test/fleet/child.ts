// One process of the fleet: a TokenManager on PostgresTokenStorage over its
// own pool, driven by the parent over IPC (see @forge/test-utils/fleet-child).
import { runFleetChild } from '@forge/test-utils/fleet-child';
import pg from 'pg';
import { PostgresTokenStorage } from '../../src/index.js';

const [url, endpointJson, listen] = process.argv.slice(2);
if (!url || !endpointJson)
  throw new Error('usage: child <postgres url> <endpoint json> [listen url | off]');
const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 1_000 });
// Outages are part of the tests; the storage reports them through the manager.
pool.on('error', () => {});
// Third argument: a URL for the LISTEN connection, `off` for none, absent for the pool's.
const storage = new PostgresTokenStorage(pool, {
  listen: listen === 'off' ? false : listen || true,
});
runFleetChild(endpointJson, storage, () => pool.end());

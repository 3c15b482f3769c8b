import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, chownSync, constants, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis.js';

/** A PostgreSQL cluster (or a PgBouncer) started by {@link startPostgres}. */
export interface PostgresServer {
  /** `postgres://forge@127.0.0.1:<port>/postgres`, for `new Pool({ connectionString })`. */
  readonly url: string;
  readonly port: number;
  /** Shuts the server down and waits for it to exit. */
  stop(): Promise<void>;
  /** Kills the server and all its backends with SIGKILL (a crash) and waits for them. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after `stop` or `kill`); the data is kept. */
  restart(): Promise<void>;
}

const DEBIAN = '/usr/lib/postgresql';
/** The user the servers run as when the tests run as root: initdb and PgBouncer refuse root. */
const UNPRIVILEGED = ['postgres', 'nobody'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian's PostgreSQL binaries (`/usr/lib/postgresql/<major>/bin`), newest major first. */
function findBinDir(): string | undefined {
  let majors: string[];
  try {
    majors = readdirSync(DEBIAN);
  } catch {
    return undefined;
  }
  for (const major of majors.sort((a, b) => Number(b) - Number(a))) {
    const dir = join(DEBIAN, major, 'bin');
    if (executable(join(dir, 'initdb')) && executable(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

function findPgbouncer(): string | undefined {
  return ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find(executable);
}

/** Whether Debian's PostgreSQL server binaries (`initdb`, `postgres`) are installed. */
export const postgresAvailable: boolean = findBinDir() !== undefined;
/** Whether Debian's `pgbouncer` is installed. */
export const pgbouncerAvailable: boolean = findPgbouncer() !== undefined;

/**
 * Whether tests that need PostgreSQL (and PgBouncer) should be skipped: only
 * locally, when a binary is missing. Under `CI=true` they run (and fail), so
 * CI never passes by silently skipping them.
 *
 * @example
 * ```ts
 * describe.skipIf(skipWithoutPostgres)('PostgresTokenStorage', () => { … });
 * ```
 */
export const skipWithoutPostgres: boolean =
  (!postgresAvailable || !pgbouncerAvailable) && process.env.CI !== 'true';

if (skipWithoutPostgres) {
  console.warn(
    '[test-utils] PostgreSQL or PgBouncer is not installed: tests that need them are skipped locally ' +
      '(install them with `apt-get install postgresql pgbouncer`; under CI=true they fail instead).',
  );
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** Root cannot run initdb, postgres or pgbouncer: pick an unprivileged user. */
function runAs(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const name of UNPRIVILEGED) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
    } catch {
      // no such user
    }
  }
  throw new Error(
    `[test-utils] running as root and none of the users ${UNPRIVILEGED.join(', ')} exists: create one (\`useradd postgres\`), initdb refuses root`,
  );
}

async function privateDir(prefix: string, user: RunAs | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function isReady(binDir: string, port: number): boolean {
  try {
    execFileSync(
      join(binDir, 'pg_isready'),
      ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'forge', '-d', 'postgres', '-t', '1'],
      {
        stdio: 'ignore',
      },
    );
    return true;
  } catch {
    return false;
  }
}

interface Supervised {
  readonly port: number;
  launch(): Promise<void>;
  stop(): Promise<void>;
  kill(): Promise<void>;
  restart(): Promise<void>;
}

/** Launches a supervised server; its directory goes if it never comes up. */
async function launched(server: Supervised, dir: string): Promise<PostgresServer> {
  try {
    await server.launch();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const { port, stop, kill, restart } = server;
  return { url: `postgres://forge@127.0.0.1:${port}/postgres`, port, stop, kill, restart };
}

/**
 * Runs `command` as a process group of its own (postgres forks a backend per
 * connection; `kill` must take them all, as a crash of the machine would),
 * and waits until `pg_isready` answers on `port`.
 */
function supervise(
  name: string,
  binDir: string,
  port: number,
  command: string,
  args: readonly string[],
  user: RunAs | undefined,
  onGone: () => Promise<void>,
): Supervised {
  let child: ChildProcess | undefined;
  const launch = async (): Promise<void> => {
    const spawned = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
      ...(user ?? {}),
    });
    child = spawned;
    let stderr = '';
    spawned.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if (spawned.exitCode !== null) break;
      if (isReady(binDir, port)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    killGroup(spawned, 'SIGKILL');
    throw new Error(`[test-utils] ${name} did not accept connections on port ${port}: ${stderr}`);
  };
  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    const current = child;
    child = undefined;
    if (!current) return;
    killGroup(current, signal);
    await exited(current);
    if (signal === 'SIGKILL') {
      // The backends die with the group; give the kernel a moment to reap them
      // so a restart finds no shared memory still attached.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  return {
    port,
    launch,
    stop: async () => {
      await terminate('SIGINT');
      await onGone();
    },
    kill: () => terminate('SIGKILL'),
    restart: async () => {
      await terminate('SIGKILL');
      await launch();
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

/**
 * Starts a private PostgreSQL cluster with Debian's binaries: `initdb` into a
 * temporary directory (as an unprivileged user when the tests run as root),
 * then `postgres` on a free loopback port with trust authentication for the
 * user `forge`, no fsync (tests need no durability against a machine crash;
 * commits stay synchronous, so a killed server keeps what it committed, as a
 * real one does), and resolves once it
 * accepts connections. `stop` removes the data. Throws when the binaries are
 * missing; pair it with {@link skipWithoutPostgres}.
 *
 * @example
 * ```ts
 * const server = await startPostgres();
 * const pool = new Pool({ connectionString: server.url });
 * await server.kill();    // simulate a crash
 * await server.restart(); // same port, same data
 * await server.stop();
 * ```
 */
export async function startPostgres(): Promise<PostgresServer> {
  const binDir = findBinDir();
  if (!binDir) {
    throw new Error(
      '[test-utils] PostgreSQL is not installed (no /usr/lib/postgresql/<major>/bin/initdb): install it (`apt-get install postgresql`) to run these tests',
    );
  }
  const user = runAs();
  const dir = await privateDir('forge-pg-', user);
  const data = join(dir, 'data');
  try {
    execFileSync(
      join(binDir, 'initdb'),
      ['-D', data, '-U', 'forge', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'],
      { stdio: ['ignore', 'ignore', 'pipe'], ...(user ?? {}) },
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(
      `[test-utils] initdb failed: ${String((error as { stderr?: unknown }).stderr)}`,
    );
  }
  const port = await freePort();
  const server = supervise(
    'postgres',
    binDir,
    port,
    join(binDir, 'postgres'),
    [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'fsync=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=200',
      '-c',
      'shared_buffers=16MB',
    ],
    user,
    () => rm(dir, { recursive: true, force: true }),
  );
  return launched(server, dir);
}

/**
 * Starts Debian's PgBouncer in transaction pooling mode in front of the
 * cluster on `postgresPort` (database `postgres`, user `forge`, trust), on a
 * free loopback port: the pooled path where session state (session advisory
 * locks, LISTEN) does not survive a transaction. A small pool (`poolSize`,
 * default 4) makes clients share server connections.
 *
 * @example
 * ```ts
 * const bouncer = await startPgbouncer(server.port);
 * const pool = new Pool({ connectionString: bouncer.url });
 * ```
 */
export async function startPgbouncer(
  postgresPort: number,
  options: { readonly poolSize?: number } = {},
): Promise<PostgresServer> {
  const binary = findPgbouncer();
  const binDir = findBinDir();
  if (!binary || !binDir) {
    throw new Error(
      '[test-utils] pgbouncer or PostgreSQL is not installed: install them (`apt-get install postgresql pgbouncer`) to run these tests',
    );
  }
  const user = runAs();
  const dir = await privateDir('forge-pgbouncer-', user);
  const port = await freePort();
  const config = join(dir, 'pgbouncer.ini');
  const users = join(dir, 'userlist.txt');
  await writeFile(users, '"forge" ""\n');
  await writeFile(
    config,
    [
      '[databases]',
      `postgres = host=127.0.0.1 port=${postgresPort} dbname=postgres user=forge`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize ?? 4}`,
      'max_client_conn = 500',
      'ignore_startup_parameters = extra_float_digits,options,statement_timeout',
      'server_connect_timeout = 2',
      'server_login_retry = 1',
      'query_wait_timeout = 5',
      'logfile =',
      'pidfile =',
      '',
    ].join('\n'),
  );
  if (user) {
    chownSync(config, user.uid, user.gid);
    chownSync(users, user.uid, user.gid);
  }
  const bouncer = supervise('pgbouncer', binDir, port, binary, [config], user, () =>
    rm(dir, { recursive: true, force: true }),
  );
  return launched(bouncer, dir);
}

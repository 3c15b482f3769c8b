// Proves the BUILT @forge/core, @forge/fetch and @forge/oauth1 on every runtime
// Forge claims: Node 20.19 (oldest supported) and Node 24, Deno, Bun (all from
// npm) and Cloudflare's workerd (through miniflare). This harness runs on Node 22+
// (miniflare's floor; the root `test:runtimes` script gets Node 24 from the `node`
// package), starts the testkit servers and the servers of servers.mjs on 127.0.0.1,
// hands their URLs and secrets to the runtime through its environment, and asserts
// on the runtime's answers and on what the servers saw.
//
// A runtime that is not installed is a skip with its reason, or a failure under
// CI=true, where every runtime must run (they are devDependencies of the root).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import {
  OAUTH1_CREDENTIALS,
  startControlServer,
  startForeignServer,
  startOAuth1Api,
} from './servers.mjs';

const CI = process.env.CI === 'true';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./script.mjs', import.meta.url));
const RESULT_PREFIX = 'FORGE_RUNTIME_RESULT ';
const RUN_TIMEOUT_MS = 30_000;
// Bounds each runtime's servers, run and checks; the whole suite takes seconds.
const SUITE_TIMEOUT_MS = 60_000;
const require = createRequire(import.meta.url);

function run(file, args, options = {}) {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: ROOT, timeout: RUN_TIMEOUT_MS, maxBuffer: 4 * 1024 * 1024, ...options },
      (error, stdout, stderr) => resolve({ error, stdout, stderr }),
    );
  });
}

/** A binary inside an installed npm package, or why there is none. */
function packageBinary(name, relative) {
  let root;
  try {
    root = dirname(require.resolve(`${name}/package.json`));
  } catch {
    return { missing: `the npm package \`${name}\` is not installed (pnpm install)` };
  }
  const path = join(root, relative);
  // deno and bun link their platform binary in place from a postinstall script.
  if (!existsSync(path)) {
    return {
      missing: `${name} is installed without its binary (${relative}): its postinstall did not run (pnpm-workspace.yaml onlyBuiltDependencies)`,
    };
  }
  // The npm package's version is the binary's: both are published together.
  return { path, version: require(`${name}/package.json`).version };
}

/** Node 20.19 as the compat stage gets it: npx's copy of the `node` package, found once. */
async function npxNode(version) {
  const { error, stdout } = await run('npx', ['-y', `node@${version}`, '-p', 'process.execPath'], {
    timeout: 180_000,
  });
  const path = stdout.trim();
  if (error || !existsSync(path)) {
    return { missing: `npx -y node@${version} failed: ${error?.message ?? 'no binary'}` };
  }
  return { path, version };
}

/** Skips with the reason, printed; under CI=true a missing runtime fails instead. */
function unavailable(t, reason) {
  if (CI) assert.fail(`${reason}. Every runtime is required under CI=true.`);
  t.diagnostic(reason);
  t.skip(reason);
}

/** The testkit's authorization and resource servers plus a foreign origin, an OAuth 1 API and the control server. */
async function startServers() {
  const auth = await startAuthServer();
  const api = await startResourceServer({ auth });
  const foreign = await startForeignServer();
  const oauth1 = await startOAuth1Api();
  const basicId = auth.clients.basic.clientId;
  const revocations = [];
  const control = await startControlServer(() => {
    revocations.push({ tokenRequestsBefore: auth.tokenRequests(basicId) });
    api.revokeAll();
  });
  const keyClient = auth.clients.privateKeyJwt;
  const config = {
    issuer: auth.issuer,
    tokenEndpoint: auth.tokenEndpoint,
    apiUrl: api.url,
    basic: { clientId: basicId, clientSecret: auth.clients.basic.clientSecret },
    privateKeyJwt: {
      clientId: keyClient.clientId,
      privateKeyPem: keyClient.privateKeyPem,
      kid: keyClient.kid,
      alg: keyClient.alg,
    },
    foreignUrl: foreign.url,
    controlUrl: control.url,
    oauth1: { url: oauth1.url, credentials: OAUTH1_CREDENTIALS },
  };
  return {
    auth,
    api,
    foreign,
    oauth1,
    config,
    revocations,
    async close() {
      for (const server of [control, oauth1, foreign, api, auth]) await server.close();
    },
  };
}

/** Runs script.mjs on a runtime and returns its result line, parsed. */
async function runScenario(file, args, config) {
  const { error, stdout, stderr } = await run(file, args, {
    // A clean environment: nothing of this process (NODE_OPTIONS, node:test's
    // NODE_TEST_CONTEXT) leaks into the runtime, and Deno checks for no update.
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FORGE_RUNTIME_CONFIG: JSON.stringify(config),
      DENO_NO_UPDATE_CHECK: '1',
      NO_COLOR: '1',
    },
  });
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(RESULT_PREFIX));
  assert.ok(
    line,
    `no result line (${error?.message ?? 'exited'}): ${stderr.slice(-2_000) || stdout.slice(-2_000)}`,
  );
  const result = JSON.parse(line.slice(RESULT_PREFIX.length));
  assert.equal(result.error, undefined, `the scenario failed on ${result.runtime}`);
  return result;
}

const expectations = {
  basic(servers, answer) {
    assert.deepEqual(answer, { status: 200, clientId: servers.config.basic.clientId });
  },
  privateKeyJwt(servers, answer) {
    assert.deepEqual(answer, { status: 200, clientId: servers.config.privateKeyJwt.clientId });
    // The private_key_jwt client accepts nothing but its assertion, so one 200 token answer is
    // an ES256 assertion signed on that runtime.
    assert.equal(
      servers.auth.tokenRequests({ clientId: servers.config.privateKeyJwt.clientId, status: 200 }),
      1,
    );
  },
  foreign(servers, answer) {
    assert.deepEqual(answer, { direct: 200, redirected: 200 });
    assert.deepEqual(servers.foreign.seen, [
      { path: '/direct', hadAuthorization: false },
      { path: '/redirected', hadAuthorization: false },
    ]);
  },
  oauth1(servers, answer) {
    assert.deepEqual(answer, { get: 200, post: 200 });
    assert.deepEqual(servers.oauth1.verdicts, [
      { method: 'GET', path: '/statuses/1', ok: true },
      { method: 'POST', path: '/statuses/update', ok: true },
    ]);
  },
  /**
   * A certificate client needs a transport that presents a certificate: none is a
   * ConfigurationError everywhere, a `fetch` is accepted everywhere, and an undici
   * dispatcher only where `fetch` honours it (Node).
   */
  mtlsConfiguration(runtime, answer) {
    assert.deepEqual(answer, {
      withoutTransport: 'clientAuth',
      dispatcher: runtime.startsWith('node ') ? 'built' : 'dispatcher',
      fetch: 'built',
    });
  },
  /** One 401 (the revoked token), one more token request, and the retry answered 200. */
  renewal(servers, answer, tokenRequestsBefore) {
    const basicId = servers.config.basic.clientId;
    assert.deepEqual(answer, { status: 200, clientId: basicId });
    assert.equal(servers.auth.tokenRequests(basicId), tokenRequestsBefore + 1);
    assert.equal(servers.api.requests({ status: 401, hadAuthorization: true }), 1);
    assert.equal(servers.api.requests({ status: 401 }), 1);
  },
};

const SCRIPTED = [
  {
    name: 'Node (oldest supported)',
    runtime: /^node 20\.19\.0$/,
    locate: () => npxNode('20.19.0'),
    args: [SCRIPT],
  },
  {
    name: 'Node (current)',
    runtime: /^node 24\./,
    locate: () => packageBinary('node', 'bin/node'),
    args: [SCRIPT],
  },
  {
    name: 'Deno',
    runtime: /^deno 2\./,
    locate: () => packageBinary('deno', 'deno'),
    // Deno's permissions at their narrowest: loopback and the one variable, nothing else;
    // packages from the workspace's node_modules, never fetched.
    args: [
      'run',
      '--no-lock',
      '--node-modules-dir=manual',
      '--cached-only',
      '--allow-net=127.0.0.1',
      '--allow-env=FORGE_RUNTIME_CONFIG',
      SCRIPT,
    ],
  },
  {
    name: 'Bun',
    runtime: /^bun 1\./,
    locate: () => packageBinary('bun', 'bin/bun.exe'),
    // --no-install: a missing package fails instead of being fetched from the registry.
    args: ['--no-install', SCRIPT],
  },
];

for (const runtime of SCRIPTED) {
  const located = await runtime.locate();
  const name = `${runtime.name}${located.version ? ` ${located.version}` : ''}`;
  describe(name, { timeout: SUITE_TIMEOUT_MS }, () => {
    if (located.missing) {
      it('is installed', (t) => unavailable(t, located.missing));
      return;
    }
    let servers;
    let result;
    before(
      async () => {
        servers = await startServers();
        result = await runScenario(located.path, runtime.args, servers.config);
      },
      { timeout: SUITE_TIMEOUT_MS },
    );
    after(() => servers?.close());

    it('runs the scenario on the built packages', () => {
      assert.match(result.runtime, runtime.runtime);
    });
    it('client_secret_basic (issuer discovery): two calls, one token', () => {
      for (const answer of result.basic) expectations.basic(servers, answer);
      assert.equal(servers.revocations[0]?.tokenRequestsBefore, 1);
    });
    it('private_key_jwt: an ES256 assertion from Web Crypto gets a token', () => {
      expectations.privateKeyJwt(servers, result.privateKeyJwt);
    });
    it('renews after a revocation: the 401 costs one token request and one retry', () => {
      expectations.renewal(servers, result.afterRevocation, 1);
    });
    it('keeps the token from another origin, asked directly or through a redirect', () => {
      expectations.foreign(servers, result.foreign);
    });
    it('@forge/oauth1 signs requests an independent verifier accepts', () => {
      expectations.oauth1(servers, result.oauth1);
    });
    it('mutual TLS: a dispatcher only where fetch honours one, a ConfigurationError elsewhere', () => {
      expectations.mtlsConfiguration(result.runtime, result.mtlsConfiguration);
    });
  });
}

/** miniflare and the workerd binary it runs, or why not. */
async function locateWorkerd() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 22) {
    return {
      missing: `miniflare needs Node 22 or later and this harness runs on ${process.version}; run it with \`pnpm test:runtimes\` (Node 24 from the \`node\` package)`,
    };
  }
  try {
    const { Miniflare } = await import('miniflare');
    const { build } = await import('esbuild');
    const fromMiniflare = createRequire(require.resolve('miniflare'));
    const workerd = fromMiniflare('workerd/package.json').version;
    return { Miniflare, build, workerd };
  } catch (error) {
    return { missing: `miniflare or esbuild is not installed: ${error.message}` };
  }
}

const workerd = await locateWorkerd();
const workerdName = `Cloudflare workerd${workerd.workerd ? ` ${workerd.workerd}` : ''} (miniflare)`;
describe(workerdName, { timeout: SUITE_TIMEOUT_MS }, () => {
  if (workerd.missing) {
    it('is installed', (t) => unavailable(t, workerd.missing));
    return;
  }
  let servers;
  let mf;

  async function step(path) {
    const response = await mf.dispatchFetch(`http://worker.test${path}`);
    const body = await response.json();
    assert.equal(body.error, undefined, `${path} failed in the Worker`);
    assert.equal(response.status, 200);
    return body;
  }

  before(
    async () => {
      servers = await startServers();
      // Bundled the way wrangler bundles a Worker: esbuild, workerd's export conditions.
      const bundle = await workerd.build({
        entryPoints: [fileURLToPath(new URL('./worker.mjs', import.meta.url))],
        bundle: true,
        format: 'esm',
        platform: 'browser',
        conditions: ['workerd', 'worker', 'browser'],
        external: ['cloudflare:*'],
        write: false,
        logLevel: 'warning',
      });
      mf = new workerd.Miniflare({
        modules: true,
        script: bundle.outputFiles[0].text,
        // No nodejs_compat flag: Forge needs only web platform APIs.
        compatibilityDate: '2025-09-01',
        bindings: { FORGE_RUNTIME_CONFIG: JSON.stringify(servers.config) },
      });
      await mf.ready;
    },
    { timeout: SUITE_TIMEOUT_MS },
  );
  after(async () => {
    await mf?.dispose();
    await servers?.close();
  });

  it('runs the Worker built from the packages', async () => {
    assert.deepEqual(await step('/runtime'), { runtime: 'workerd' });
  });
  it('client_secret_basic (issuer discovery): the module-scope manager shares one token across Worker requests', async () => {
    // Five concurrent requests on a cold isolate, then two more one after the other.
    const concurrent = await Promise.all(Array.from({ length: 5 }, () => step('/basic')));
    for (const answer of concurrent) expectations.basic(servers, answer);
    expectations.basic(servers, await step('/basic'));
    expectations.basic(servers, await step('/basic'));
    assert.equal(servers.auth.tokenRequests(servers.config.basic.clientId), 1);
  });
  it('private_key_jwt: an ES256 assertion from workerd’s Web Crypto gets a token', async () => {
    expectations.privateKeyJwt(servers, await step('/private-key-jwt'));
  });
  it('renews after a revocation: the 401 costs one token request and one retry', async () => {
    const before = servers.auth.tokenRequests(servers.config.basic.clientId);
    servers.api.revokeAll();
    expectations.renewal(servers, await step('/basic'), before);
    // The renewed token is the isolate's: the next Worker request uses it.
    expectations.basic(servers, await step('/basic'));
    assert.equal(servers.auth.tokenRequests(servers.config.basic.clientId), before + 1);
  });
  it('keeps the token from another origin, asked directly or through a redirect', async () => {
    expectations.foreign(servers, await step('/foreign'));
  });
  it('@forge/oauth1 signs requests an independent verifier accepts', async () => {
    expectations.oauth1(servers, await step('/oauth1'));
  });
  it('mutual TLS: no dispatcher in workerd (a ConfigurationError), a fetch accepted', async () => {
    expectations.mtlsConfiguration('workerd', await step('/mtls-configuration'));
  });
});

// Proves the oldest supported runtime and peer majors: runs on Node 20.19 (the
// root `test` script starts it with `npx node@20.19.0 --test`) against the
// BUILT packages (ESM and CommonJS), with axios 1.6, got 14, ky 1.14,
// Express 4 and ioredis 5, the oldest releases our peer ranges accept.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';

const require = createRequire(import.meta.url);
const PACKAGES = [
  'core',
  'axios',
  'got',
  'ky',
  'express',
  'storage-redis',
  'storage-unstorage',
  'oauth1',
  'nest',
  'testkit',
];

const { ClientCredentialsTokenProvider, TokenManager } = await import('@forge/core');
const { startAuthServer, startResourceServer } = await import('@forge/testkit');

describe(`Node ${process.versions.node}`, () => {
  it('is the oldest supported Node', () => {
    assert.equal(process.versions.node, '20.19.0');
  });

  it('a ForgeError from the CommonJS build is instanceof the ESM build’s classes, and back', async () => {
    const esm = await import('@forge/core');
    const cjs = require('@forge/core');
    assert.notEqual(esm.ForgeError, cjs.ForgeError);
    const fromCjs = new cjs.AuthenticationError('refused', { serviceName: 'api' });
    assert.ok(fromCjs instanceof esm.ForgeError);
    assert.ok(fromCjs instanceof esm.AuthenticationError);
    assert.ok(!(fromCjs instanceof esm.TokenEndpointError));
    assert.ok(esm.isForgeError(fromCjs, esm.ForgeErrorCode.Authentication));
    assert.ok(new esm.ConfigurationError('x', 'bad') instanceof cjs.ForgeError);
  });

  for (const name of PACKAGES) {
    it(`loads @forge/${name} as ESM and as CommonJS`, async () => {
      const esm = await import(`@forge/${name}`);
      const cjs = require(`@forge/${name}`);
      assert.ok(Object.keys(esm).length > 0);
      assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
    });
  }
});

describe('oldest peer majors against the testkit servers', () => {
  let auth;
  let api;
  const managers = [];

  before(async () => {
    auth = await startAuthServer();
    api = await startResourceServer({ auth });
  });

  after(async () => {
    for (const manager of managers) await manager.close();
    await api?.close();
    await auth?.close();
  });

  function manager() {
    const created = new TokenManager(
      new ClientCredentialsTokenProvider({
        serviceName: 'compat',
        issuer: auth.issuer,
        clientId: auth.clients.basic.clientId,
        clientSecret: auth.clients.basic.clientSecret,
      }),
    );
    managers.push(created);
    return created;
  }

  it('axios 1.6 through @forge/axios', async () => {
    const axios = require('axios1early');
    const { withForge } = require('@forge/axios');
    const client = withForge(axios.create({ baseURL: api.url }), manager());
    const responses = await Promise.all(Array.from({ length: 20 }, () => client.get('/orders')));
    assert.ok(responses.every((response) => response.status === 200));
  });

  it('got 14 through @forge/got', async () => {
    const { default: got } = await import('got14');
    const { withForge } = await import('@forge/got');
    const client = withForge(got.extend({ prefixUrl: api.url }), manager());
    const body = await client.get('orders').json();
    assert.equal(body.ok, true);
  });

  it('ky 1.14 through @forge/ky', async () => {
    const { default: ky } = await import('ky1');
    const { withForge } = await import('@forge/ky');
    // ky 1's prefixUrl is the origin Forge sends the token to.
    const client = withForge(ky.create({ prefixUrl: api.url }), manager());
    const body = await client.get('orders').json();
    assert.equal(body.ok, true);
  });

  it('Express 4 through @forge/express', async () => {
    const express = require('express4');
    const { createForge } = require('@forge/express');
    const app = express();
    app.use(createForge({ services: { orders: { manager: manager(), baseURL: api.url } } }));
    app.get('/proxy', async (req, res, next) => {
      try {
        const response = await req.forge.fetch('orders', '/orders');
        res.status(response.status).json(await response.json());
      } catch (error) {
        next(error);
      }
    });
    const server = await new Promise((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    try {
      const response = await fetch(`http://127.0.0.1:${server.address().port}/proxy`);
      assert.equal(response.status, 200);
      assert.equal((await response.json()).ok, true);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('ioredis 5 through @forge/storage-redis', async (t) => {
    const found = spawnSync('redis-server', ['--version']).status === 0;
    if (!found) {
      assert.notEqual(process.env.CI, 'true', 'redis-server is required under CI=true');
      t.skip('redis-server is not installed');
      return;
    }
    const { startRedisServer } = await import('./redis.mjs');
    const redisServer = await startRedisServer();
    const Redis = require('ioredis5');
    const redis = new Redis(redisServer.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
    const { RedisTokenStorage } = require('@forge/storage-redis');
    const storage = new RedisTokenStorage(redis);
    const provider = new ClientCredentialsTokenProvider({
      serviceName: 'compat-redis',
      issuer: auth.issuer,
      clientId: auth.clients.post.clientId,
      clientSecret: auth.clients.post.clientSecret,
      clientAuth: 'client_secret_post',
    });
    const first = new TokenManager(provider, { storage });
    const second = new TokenManager(provider, { storage });
    try {
      const before = auth.tokenRequests(auth.clients.post.clientId);
      const tokens = await Promise.all([first.getToken(), second.getToken()]);
      assert.equal(tokens[0].accessToken, tokens[1].accessToken);
      assert.equal(auth.tokenRequests(auth.clients.post.clientId) - before, 1);
    } finally {
      await first.close();
      await second.close();
      await storage.dispose();
      redis.disconnect();
      await redisServer.stop();
    }
  });
});

import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './support.js';

let auth: AuthServer;
beforeAll(async () => {
  auth = await startAuthServer();
});
afterAll(async () => {
  await auth.close();
});

describe('forge token', () => {
  it('gets a client-credentials token and prints its summary', async () => {
    const run = await runCli(
      [
        'token',
        '--issuer',
        auth.issuer,
        '--client-id',
        auth.clients.basic.clientId,
        '--scope',
        'read',
      ],
      {
        FORGE_CLIENT_SECRET: auth.clients.basic.clientSecret,
      },
    );
    console.log(run);
    expect(run.code).toBe(0);
  });
});

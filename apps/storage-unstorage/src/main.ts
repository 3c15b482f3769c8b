import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ClientCredentialsTokenProvider, TokenManager } from '@forge/core';
import { UnstorageTokenStorage } from '@forge/storage-unstorage';
import { startAuthServer, startResourceServer } from '@forge/testkit';
import { createStorage } from 'unstorage';
import fsDriver from 'unstorage/drivers/fs';

/** What one run of the example observed. */
export interface UnstorageExampleResult {
  readonly calls: number;
  readonly statuses: readonly number[];
  /** Token requests the authorization server saw for both "runs". */
  readonly tokenRequests: number;
  /** Files in the token directory: one per token, named by a digest. */
  readonly files: readonly string[];
  /** Whether the stored file held the access token in clear (it must not: encryption is on). */
  readonly clearText: boolean;
}

function managerFor(
  auth: Awaited<ReturnType<typeof startAuthServer>>,
  storage: UnstorageTokenStorage,
) {
  return new TokenManager(
    new ClientCredentialsTokenProvider({
      serviceName: 'orders',
      clientId: auth.clients.basic.clientId,
      clientSecret: auth.clients.basic.clientSecret,
      tokenEndpoint: auth.tokenEndpoint,
    }),
    { storage },
  );
}

/**
 * A process that keeps its tokens in a directory (a CLI, a single VM, a
 * serverless function with a mounted volume): the first "run" fetches a token
 * and stores it encrypted; a second run, with its own manager and its own
 * unstorage Storage over the same directory, reads it instead of asking the
 * authorization server again.
 */
export async function main(directory?: string): Promise<UnstorageExampleResult> {
  const dir = directory ?? (await mkdtemp(join(tmpdir(), 'forge-unstorage-example-')));
  const auth = await startAuthServer();
  const api = await startResourceServer({ auth });
  // In production: a key from your secret store, `openssl rand -base64 32`.
  const key = crypto.getRandomValues(new Uint8Array(32));
  const statuses: number[] = [];
  try {
    for (const run of [1, 2]) {
      const storage = new UnstorageTokenStorage(
        createStorage({ driver: fsDriver({ base: dir }) }),
        { encryption: { key } },
      );
      const manager = managerFor(auth, storage);
      try {
        const answers = await Promise.all(
          Array.from({ length: 5 }, async (_, i) => {
            const token = await manager.getToken();
            const response = await fetch(`${api.url}/orders/${run}-${i}`, {
              headers: { authorization: token.authorizationHeader },
            });
            await response.body?.cancel();
            return response.status;
          }),
        );
        statuses.push(...answers);
      } finally {
        await manager.close();
        await storage.dispose();
      }
    }
    const tokenDir = join(dir, 'forge', 'tokens');
    const files = await readdir(tokenDir);
    const text = await Promise.all(files.map((file) => readFile(join(tokenDir, file), 'utf8')));
    return {
      calls: statuses.length,
      statuses,
      tokenRequests: auth.tokenRequests(),
      files,
      clearText: text.some((content) => /"accessToken"/.test(content)),
    };
  } finally {
    await api.close();
    await auth.close();
    if (directory === undefined) await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const result = await main();
    console.log(
      `2 runs made ${result.calls} calls (statuses ${[...new Set(result.statuses)].join(', ')}) with ${result.tokenRequests} token request(s): the second run read the first one's token from ${result.files.length} encrypted file(s).`,
    );
    process.exitCode =
      result.statuses.every((status) => status === 200) && !result.clearText ? 0 : 1;
  } catch (error) {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  }
}

import {
  ConfigurationError,
  type DPoPAlgorithm,
  type DPoPJwk,
  generateDPoPKeyPair,
  StorageError,
} from '@forge/core';
import {
  type EncryptionOptions,
  open,
  resolveEncryption,
  type Sealed,
  seal,
} from '@forge/core/storage';
import type { RedisClient } from './client.js';
import { sha256Hex } from './keys.js';

/**
 * Options of {@link sharedDPoPKey}.
 *
 * @example
 * ```ts
 * const options: SharedDPoPKeyOptions = { name: 'billing', encryption: { key: process.env.TOKEN_KEY! } };
 * ```
 */
export interface SharedDPoPKeyOptions {
  /** Which key of the fleet (one per client, usually the service name). Not a secret. */
  readonly name: string;
  /** Required: the private key is stored only encrypted (AES-256-GCM), like tokens. */
  readonly encryption: EncryptionOptions;
  /** Key prefix in Redis. Default `forge:` (the storage's default). */
  readonly prefix?: string;
  /** Algorithm of the key the first instance makes. Default `ES256`. */
  readonly alg?: DPoPAlgorithm;
}

interface StoredKey extends Sealed {
  readonly v: 1;
}

function fail(option: string, problem: string): never {
  throw new ConfigurationError(option, problem, { package: 'storage-redis' });
}

/**
 * One DPoP key for a whole fleet, kept in Redis encrypted with the same
 * AES-256-GCM envelope as the tokens: the first instance to ask makes the
 * key and stores it (`SET NX`), every other instance reads it. Pass the
 * result as a provider's `dpop: { key }`, so every instance proves with the
 * same key and shares one DPoP-bound token through `RedisTokenStorage`.
 * Without it, each instance has its own key and its own tokens (see
 * decision 0014 of the Forge repository).
 *
 * @example
 * ```ts
 * const provider = new ClientCredentialsTokenProvider({
 *   clientId, clientSecret, tokenEndpoint,
 *   dpop: { key: sharedDPoPKey(redis, { name: 'billing', encryption: { key: process.env.TOKEN_KEY! } }) },
 * });
 * ```
 */
export function sharedDPoPKey(
  redis: RedisClient,
  options: SharedDPoPKeyOptions,
): () => Promise<DPoPJwk> {
  if (typeof redis !== 'object' || redis === null || typeof redis.get !== 'function') {
    fail('redis', 'must be an ioredis client');
  }
  if (typeof options !== 'object' || options === null) {
    fail('options', 'pass { name, encryption: { key } }');
  }
  if (typeof options.name !== 'string' || options.name === '') {
    fail('name', 'must be a non-empty string naming the key');
  }
  const ring = resolveEncryption(options.encryption, 'storage-redis');
  if (ring === undefined) {
    fail('encryption', 'is required: the private key is stored only encrypted; pass { key }');
  }
  const alg = options.alg ?? 'ES256';
  if (alg !== 'ES256' && alg !== 'PS256' && alg !== 'EdDSA') {
    fail('alg', 'must be ES256, PS256 or EdDSA');
  }
  const prefix = options.prefix ?? 'forge:';
  if (typeof prefix !== 'string') fail('prefix', 'must be a string');
  const redisKey = `${prefix}dpop-key:${sha256Hex(options.name)}`;
  const commands = redis as unknown as {
    get(key: string): Promise<string | null>;
    set(key: string, value: string, nx: 'NX'): Promise<string | null>;
  };

  const read = async (): Promise<DPoPJwk | undefined> => {
    const raw = await commands.get(redisKey);
    if (raw === null) return undefined;
    try {
      const stored = JSON.parse(raw) as StoredKey;
      const entry = (await ring.keys()).byId.get(stored.kid);
      if (stored.v !== 1 || entry === undefined) throw new Error('unknown format or key id');
      return JSON.parse(await open(entry, stored, redisKey)) as DPoPJwk;
    } catch (cause) {
      throw new StorageError(
        'get',
        `The shared DPoP key "${options.name}" in Redis cannot be opened (wrong encryption key, or changed). Give every instance the same encryption keys, or delete the entry to let a new key be made.`,
        { package: 'storage-redis', cause: new Error(String((cause as Error)?.name)) },
      );
    }
  };

  return async () => {
    const existing = await read();
    if (existing !== undefined) return existing;
    const pair = await generateDPoPKeyPair(alg, { extractable: true });
    const jwk = (await crypto.subtle.exportKey('jwk', pair.privateKey)) as DPoPJwk;
    const sealed = await seal((await ring.keys()).current, JSON.stringify(jwk), redisKey);
    const stored: StoredKey = { v: 1, ...sealed };
    if ((await commands.set(redisKey, JSON.stringify(stored), 'NX')) === 'OK') return jwk;
    // Another instance stored its key first: everyone uses that one.
    const winner = await read();
    if (winner === undefined) {
      throw new StorageError(
        'set',
        `The shared DPoP key "${options.name}" vanished while it was being stored; try again.`,
        { package: 'storage-redis' },
      );
    }
    return winner;
  };
}

export type { EncryptionKey, EncryptionOptions } from '@forge/core/storage';
export type { RedisClient } from './client.js';
export { type SharedDPoPKeyOptions, sharedDPoPKey } from './dpop-key.js';
export type { RedisTokenStorageOptions } from './options.js';
export { RedisTokenStorage } from './redis-token-storage.js';

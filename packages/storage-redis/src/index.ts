export type { RedisClient } from './client.js';
export { type SharedDPoPKeyOptions, sharedDPoPKey } from './dpop-key.js';
export type { EncryptionKey } from './encryption.js';
export type { EncryptionOptions, RedisTokenStorageOptions } from './options.js';
export { RedisTokenStorage } from './redis-token-storage.js';

export type { EncryptionKey, EncryptionOptions } from '@forge/core/storage';
export type { UnstorageStorage } from './drivers.js';
export type { UnstorageTokenStorageOptions } from './options.js';
export { UnstorageTokenStorage } from './unstorage-token-storage.js';

export type { EncryptionKey, EncryptionOptions } from '@forge/core/storage';
export type { PostgresPool } from './client.js';
export type { ListenConnection, PostgresTokenStorageOptions } from './options.js';
export { PostgresTokenStorage } from './postgres-token-storage.js';
export { postgresMigration } from './sql.js';

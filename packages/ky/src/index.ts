export { type KyDefaults, type KyLike, withForge } from './with-forge.js';

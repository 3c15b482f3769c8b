export { type ForgeKyOptions, type KyLike, withForge } from './with-forge.js';

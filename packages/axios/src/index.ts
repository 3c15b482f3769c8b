export { type ForgeAxiosOptions, withForge } from './with-forge.js';

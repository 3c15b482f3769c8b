export { type GotInstance, withForge } from './with-forge.js';

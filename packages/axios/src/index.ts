export { withForge } from './with-forge.js';

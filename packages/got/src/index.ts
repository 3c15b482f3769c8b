export { type ForgeGotHooks, type ForgeGotOptions, forgeHooks } from './forge-hooks.js';

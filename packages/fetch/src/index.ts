export {
  type FetchLike,
  type ForgeFetch,
  type ForgeRequestInit,
  withForge,
} from './with-forge.js';

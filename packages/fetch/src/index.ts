export {
  type FetchLike,
  type FetchResponse,
  type ForgeFetch,
  type ForgeRequestInit,
  withForge,
} from './with-forge.js';

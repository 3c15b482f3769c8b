import { runAdapterContract } from '@forge/testkit/conformance';
import { Request as UndiciRequest, fetch as undiciFetch } from 'undici';
import type { FetchLike } from '../src/index.js';
import { fetchBinding } from './binding.js';

runAdapterContract(fetchBinding('fetch (global)', globalThis.fetch));
// undici's own fetch: other Request, Headers and Response classes than the global ones.
runAdapterContract(
  fetchBinding(
    'fetch (undici)',
    undiciFetch as unknown as FetchLike,
    UndiciRequest as unknown as typeof Request,
  ),
);

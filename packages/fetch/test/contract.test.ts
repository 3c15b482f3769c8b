import { runAdapterContract } from '@forge/testkit/conformance';
import { Request as UndiciRequest, fetch as undiciFetch } from 'undici';
import { fetchBinding } from './binding.js';

runAdapterContract(fetchBinding('fetch (global)', globalThis.fetch));
// undici's own fetch: other Request, Headers and Response classes than the global ones
// (the binding is written against the global types).
runAdapterContract(
  fetchBinding(
    'fetch (undici)',
    undiciFetch as unknown as typeof fetch,
    UndiciRequest as unknown as typeof Request,
  ),
);

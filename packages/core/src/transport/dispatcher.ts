import { ConfigurationError } from '../errors.js';

/**
 * An undici dispatcher (`Agent`, `Pool`, `ProxyAgent`, …): what Node's `fetch`
 * takes as `init.dispatcher`. An `Agent` with `connect: { cert, key }`
 * presents a TLS client certificate. Typed by its one method so core needs
 * no undici types.
 *
 * @example
 * ```ts
 * import { Agent } from 'undici';
 * const dispatcher: Dispatcher = new Agent({ connect: { cert, key } });
 * ```
 */
export interface Dispatcher {
  dispatch(options: never, handler: never): unknown;
}

interface RuntimeGlobals {
  readonly process?: { readonly versions?: Readonly<Record<string, string | undefined>> };
  readonly Deno?: unknown;
  readonly Bun?: unknown;
}

/**
 * Node's `fetch` is undici's and honours `init.dispatcher`. Deno and Bun
 * expose `process.versions.node` too, but their `fetch` ignores a
 * dispatcher; browsers and edge workers have none.
 */
export function fetchTakesDispatcher(
  globals: RuntimeGlobals = globalThis as RuntimeGlobals,
): boolean {
  const versions = globals.process?.versions;
  return (
    typeof versions?.node === 'string' &&
    versions.bun === undefined &&
    globals.Deno === undefined &&
    globals.Bun === undefined
  );
}

/** The runtimes where a client certificate can be presented, and how: for error messages. */
export const CERTIFICATE_HOWTO =
  "in Node pass `dispatcher: new Agent({ connect: { cert, key } })` (from 'undici'); elsewhere pass a `fetch` that presents it (Deno: `Deno.createHttpClient({ cert, key })`, Bun: its `tls` option, Cloudflare Workers: an mTLS certificate binding's `fetch`). Browsers cannot present a client certificate from code";

/** Validates `dispatcher`: an object with `dispatch`, on a runtime whose `fetch` takes one. */
export function checkDispatcher(value: unknown): Dispatcher | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Partial<Dispatcher>).dispatch !== 'function'
  ) {
    throw new ConfigurationError(
      'dispatcher',
      "must be an undici dispatcher, e.g. new Agent({ connect: { cert, key } }) from 'undici'",
    );
  }
  if (!fetchTakesDispatcher()) {
    throw new ConfigurationError(
      'dispatcher',
      `this runtime's fetch ignores an undici dispatcher, so a client certificate cannot be presented through one: ${CERTIFICATE_HOWTO}`,
    );
  }
  return value as Dispatcher;
}

/**
 * A `fetch` that sends every request through `dispatcher`. The platform
 * `fetch` is looked up per call, as it would be without a dispatcher.
 */
export function withDispatcher(
  base: typeof fetch | undefined,
  dispatcher: Dispatcher,
): typeof fetch {
  return (input, init) => (base ?? globalThis.fetch)(input, { ...init, dispatcher } as RequestInit);
}

import type * as OidcProvider from 'oidc-provider';

/** oidc-provider's error classes (`InvalidGrant`, …), passed to the custom grants. */
export type OidcErrors = typeof OidcProvider.errors;

const NOTICE = /^oidc-provider (WARNING|NOTICE): /;

let loading: Promise<typeof OidcProvider> | undefined;

/**
 * Loads oidc-provider once, lazily, with its development notices silenced: on
 * import it warns about any runtime older than Node 22, and while building a
 * provider about development defaults, neither of which a test run should print.
 * Only messages with its own prefix are dropped.
 */
export function loadOidcProvider(): Promise<typeof OidcProvider> {
  loading ??= quietly(() => import('oidc-provider'));
  return loading;
}

export async function quietly<T>(build: () => T | Promise<T>): Promise<T> {
  const { warn, info } = console;
  console.warn = (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && NOTICE.test(args[0]))) warn.apply(console, args);
  };
  console.info = (...args: unknown[]) => {
    if (!(typeof args[0] === 'string' && NOTICE.test(args[0]))) info.apply(console, args);
  };
  try {
    return await build();
  } finally {
    console.warn = warn;
    console.info = info;
  }
}

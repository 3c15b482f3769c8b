/**
 * `jose`, loaded on first use. It is most of what importing `@forge/core`
 * would cost, and only JWT client authentication and assertion grants need
 * it: a client-secret user never loads it.
 */
let loading: Promise<typeof import('jose')> | undefined;

export function loadJose(): Promise<typeof import('jose')> {
  loading ??= import('jose');
  return loading;
}

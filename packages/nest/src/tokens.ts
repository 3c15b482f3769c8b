/** Injection token of the validated `ForgeModule` options. */
export const FORGE_MODULE_OPTIONS = Symbol.for('forge.nest.options');

/**
 * The injection token of a service's `TokenManager`, for `moduleRef.get()` or
 * custom providers; `@InjectTokenManager(name)` uses it.
 *
 * @example
 * ```ts
 * const manager = app.get<TokenManager>(getTokenManagerToken('billing'));
 * ```
 */
export function getTokenManagerToken(service: string): string {
  return `ForgeTokenManager(${service})`;
}

/**
 * The injection token of a service's `Authorizer`; `@InjectAuthorizer(name)` uses it.
 *
 * @example
 * ```ts
 * const authorizer = app.get<Authorizer>(getAuthorizerToken('billing'));
 * ```
 */
export function getAuthorizerToken(service: string): string {
  return `ForgeAuthorizer(${service})`;
}

/**
 * The injection token of the `HttpService` that `ForgeHttpModule.register({ service })`
 * provides; `@InjectForgeHttpService(name)` uses it.
 *
 * @example
 * ```ts
 * const http = app.get<HttpService>(getForgeHttpServiceToken('billing'));
 * ```
 */
export function getForgeHttpServiceToken(service: string): string {
  return `ForgeHttpService(${service})`;
}

import { TestkitError } from '../shared/errors.js';
import type { TestUser } from './options.js';

/**
 * What to ask the authorization endpoint for, when you do not already have an authorization URL.
 *
 * @example
 * ```ts
 * const request: AuthorizeOptions = { clientId: auth.clients.public.clientId, codeChallenge, scope: 'openid read' };
 * const { code } = await auth.authorize(request);
 * ```
 */
export interface AuthorizeOptions {
  readonly clientId: string;
  /** Default: the redirect URI registered on the ready-made clients (`${issuer}/callback`). */
  readonly redirectUri?: string;
  /** PKCE challenge; required for the public client. */
  readonly codeChallenge?: string;
  /** Default `S256` when `codeChallenge` is set. */
  readonly codeChallengeMethod?: 'S256' | 'plain';
  readonly state?: string;
  readonly scope?: string;
  readonly nonce?: string;
  /** RFC 8707 resource indicator. */
  readonly resource?: string;
  /** Who signs in: a username from the server's users (default: the first user), or explicit credentials. */
  readonly user?: string | TestUser;
  /** Any other authorization request parameter. */
  readonly extraParams?: Readonly<Record<string, string>>;
}

/**
 * Who signs in when driving an authorization URL you built yourself.
 *
 * @example
 * ```ts
 * const { code } = await auth.authorize(authorizationUrl, { user: 'bob' });
 * ```
 */
export interface AuthorizeLogin {
  readonly user?: string | TestUser;
}

/**
 * Where the authorization endpoint sent the browser in the end.
 *
 * @example
 * ```ts
 * const { code, state }: AuthorizeResult = await auth.authorize({ clientId, codeChallenge, state: 'xyz' });
 * ```
 */
export interface AuthorizeResult {
  readonly code: string;
  readonly state: string | undefined;
  /** RFC 9207 `iss` response parameter. */
  readonly iss: string | undefined;
  /** The full redirect URL, exactly as a browser would have been sent to it. */
  readonly callbackUrl: string;
}

const MAX_HOPS = 12;

class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const pair = header.split(';', 1)[0] ?? '';
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      // oidc-provider clears cookies by expiring them with an empty value.
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(header)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

export function buildAuthorizationUrl(
  authorizationEndpoint: string,
  options: AuthorizeOptions,
  defaultRedirectUri: string,
): URL {
  if (typeof options.clientId !== 'string' || options.clientId === '') {
    throw new TestkitError('must be a non-empty string', 'authorize({ clientId })');
  }
  const url = new URL(authorizationEndpoint);
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) url.searchParams.set(name, value);
  };
  set('response_type', 'code');
  set('client_id', options.clientId);
  set('redirect_uri', options.redirectUri ?? defaultRedirectUri);
  set('scope', options.scope ?? 'openid');
  set('state', options.state);
  set('nonce', options.nonce);
  set('resource', options.resource);
  set('code_challenge', options.codeChallenge);
  if (options.codeChallenge !== undefined) {
    set('code_challenge_method', options.codeChallengeMethod ?? 'S256');
  }
  for (const [name, value] of Object.entries(options.extraParams ?? {})) set(name, value);
  return url;
}

function resolveUser(users: readonly TestUser[], user: string | TestUser | undefined): TestUser {
  if (user === undefined) {
    const first = users[0];
    if (!first) throw new TestkitError('the server has no users to sign in with', 'users');
    return first;
  }
  if (typeof user === 'string') {
    const found = users.find((candidate) => candidate.username === user);
    if (!found) {
      throw new TestkitError(
        `no user named "${user}"; pass one of ${users.map((u) => u.username).join(', ')} or { username, password }`,
        'authorize({ user })',
      );
    }
    return found;
  }
  return user;
}

/**
 * Drives the real authorization endpoint the way a browser would: follows its
 * redirects over loopback, signs in and consents through the interaction pages,
 * and stops at the redirect back to the client.
 */
export async function driveAuthorization(
  authorizationUrl: URL,
  issuer: string,
  users: readonly TestUser[],
  user: string | TestUser | undefined,
): Promise<AuthorizeResult> {
  const credentials = resolveUser(users, user);
  const origin = new URL(issuer).origin;
  if (authorizationUrl.origin !== origin) {
    throw new TestkitError(
      `the authorization URL must be on this server (${origin}), got ${authorizationUrl.origin}`,
      'authorize(url)',
    );
  }
  const jar = new CookieJar();
  let next: { url: URL; form?: URLSearchParams } = { url: authorizationUrl };
  for (let hop = 0; hop < MAX_HOPS; hop += 1) {
    const response = await fetch(next.url, {
      method: next.form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: jar.header(),
        ...(next.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(next.form ? { body: next.form.toString() } : {}),
    });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) {
      const text = (await response.text())
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
      throw new TestkitError(
        `the authorization endpoint answered ${response.status} at ${next.url.pathname}: ${text.slice(0, 200)}`,
      );
    }
    await response.body?.cancel();
    const target = new URL(location, next.url);
    const onServer =
      target.origin === origin &&
      (target.pathname.startsWith('/interaction/') || target.pathname.startsWith('/auth'));
    if (!onServer) {
      const error = target.searchParams.get('error');
      if (error) {
        const description = target.searchParams.get('error_description');
        throw new TestkitError(
          `the authorization endpoint redirected with error=${error}${description ? ` (${description})` : ''}`,
        );
      }
      const code = target.searchParams.get('code');
      if (!code) throw new TestkitError(`the redirect back to the client carries no code`);
      return {
        code,
        state: target.searchParams.get('state') ?? undefined,
        iss: target.searchParams.get('iss') ?? undefined,
        callbackUrl: target.href,
      };
    }
    next = target.pathname.startsWith('/interaction/')
      ? {
          url: target,
          form: new URLSearchParams({
            username: credentials.username,
            password: credentials.password,
          }),
        }
      : { url: target };
  }
  throw new TestkitError(`the authorization endpoint redirected more than ${MAX_HOPS} times`);
}

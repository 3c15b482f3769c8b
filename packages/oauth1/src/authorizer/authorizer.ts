import {
  type Authorization,
  type AuthorizationRequest,
  type Authorizer,
  ConfigurationError,
  createRequestPolicy,
  isRequestPolicy,
  type RequestPolicy,
  type RequestPolicyOptions,
  type RetryDecision,
  type UnauthorizedResponse,
} from '@forge/core';
import { defaultTimestamp } from '../signing/clock.js';
import {
  OAuth1Signer,
  type OAuth1SignerOptions,
  type OAuth1TokenCredentials,
} from '../signing/signer.js';
import { retryAfterProblem } from './problem.js';

/**
 * Options of {@link oauth1Authorizer}: the consumer, the token, and how to sign.
 *
 * @example
 * ```ts
 * const options: OAuth1AuthorizerOptions = {
 *   consumerKey: 'key',
 *   consumerSecret: 'secret',
 *   token: 'token',
 *   tokenSecret: 'token-secret',
 *   policy: { origins: ['https://api.example.com'] },
 * };
 * ```
 */
export interface OAuth1AuthorizerOptions extends OAuth1SignerOptions {
  /** `oauth_token` of the token credentials (from the three-legged flow, or issued by the provider). Omit for two-legged (consumer-only) signing. */
  readonly token?: string | undefined;
  /** The token secret; required with `token` for HMAC-* and PLAINTEXT. */
  readonly tokenSecret?: string | undefined;
  /**
   * Which requests get signed, as for `bearer()`: allowed origins, excluded
   * paths and path globs, whether to replace an `Authorization` the caller
   * set, and which redirects keep it. A built `createRequestPolicy(...)` or
   * its options.
   *
   * Without it every request the adapter hands over is signed: a signature
   * is bound to the method and URL it was made for and reveals no secret.
   * PLAINTEXT sends the secrets themselves, so it requires a policy.
   */
  readonly policy?: RequestPolicy | RequestPolicyOptions | undefined;
}

/**
 * An `Authorizer` that signs every request with OAuth 1.0a.
 *
 * After a 401 it asks for one retry only when signing again can help: the
 * provider refused the timestamp (`oauth_problem="timestamp_refused"` with
 * `oauth_acceptable_timestamps`; the clock offset is then corrected for
 * every later request) or had seen the nonce before.
 *
 * @example
 * ```ts
 * const authorizer: OAuth1Authorizer = oauth1Authorizer(options);
 * await authorizer.ready(); // optional: import an RSA key now
 * ```
 */
export interface OAuth1Authorizer extends Authorizer {
  /** The signer in use (shows no secret when inspected). */
  readonly signer: OAuth1Signer;
  /** The policy requests are checked against, when one was given. */
  readonly policy: RequestPolicy | undefined;
  /**
   * Always `true`: adapters hand over text and JSON bodies as sent, so
   * `bodyHash` covers them, and a JSON body meeting transmission `'body'`
   * fails with an error instead of being replaced by a form body.
   */
  readonly signsBody: true;
  /**
   * Imports the signing key now, so a bad RSA key fails at start-up with a
   * `ConfigurationError` naming `privateKey`. {@link createOAuth1Authorizer} calls it for you.
   */
  ready(): Promise<void>;
  authorize(request: AuthorizationRequest): Promise<Authorization | undefined>;
  onUnauthorized(request: AuthorizationRequest, response: UnauthorizedResponse): RetryDecision;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function tokenCredentials(
  options: OAuth1AuthorizerOptions,
  needsSecret: boolean,
): OAuth1TokenCredentials | undefined {
  const { token, tokenSecret } = options;
  if (token === undefined) {
    if (tokenSecret !== undefined) {
      throw new ConfigurationError('token', 'is required when tokenSecret is set', {
        package: 'oauth1',
      });
    }
    return undefined;
  }
  if (typeof token !== 'string' || token === '') {
    throw new ConfigurationError('token', 'must be a non-empty string (oauth_token)', {
      package: 'oauth1',
    });
  }
  if (tokenSecret !== undefined && typeof tokenSecret !== 'string') {
    throw new ConfigurationError('tokenSecret', 'must be a string', { package: 'oauth1' });
  }
  if (needsSecret && tokenSecret === undefined) {
    throw new ConfigurationError(
      'tokenSecret',
      'is required with token for HMAC-* and PLAINTEXT: pass the oauth_token_secret that came with the token',
      { package: 'oauth1' },
    );
  }
  return { token, tokenSecret: tokenSecret ?? '' };
}

function compilePolicy(
  policy: OAuth1AuthorizerOptions['policy'],
  required: boolean,
): RequestPolicy | undefined {
  if (policy === undefined) {
    if (!required) return undefined;
    throw new ConfigurationError(
      'policy',
      "is required with PLAINTEXT, which sends the consumer and token secrets in every request: list where they may go, e.g. policy: { origins: ['https://api.example.com'] }",
      { package: 'oauth1' },
    );
  }
  if (isRequestPolicy(policy)) return policy;
  try {
    return createRequestPolicy(policy);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    throw new ConfigurationError(`policy.${error.option}`, error.message.replace(/^.*?: /, ''), {
      package: 'oauth1',
      cause: error,
    });
  }
}

/**
 * Makes a `@forge/core` `Authorizer` that signs each request with OAuth 1.0a,
 * so `@forge/axios`, `@forge/got` and `@forge/ky` sign requests unchanged.
 * The adapters hand over the method, the final URL and the body as sent
 * (text and JSON; not bytes, streams or `FormData`); query and form
 * parameters are signed, other bodies through `bodyHash`.
 *
 * An RSA key is checked structurally here and imported by Web Crypto on the
 * first request; use {@link createOAuth1Authorizer} to import it up front.
 *
 * @throws ConfigurationError naming the option (see {@link OAuth1Signer}), and
 * `token`/`tokenSecret` when only one half of the token credentials is given.
 *
 * @example
 * ```ts
 * import axios from 'axios';
 * import { withForge } from '@forge/axios';
 * import { oauth1Authorizer } from '@forge/oauth1';
 *
 * const authorizer = oauth1Authorizer({
 *   consumerKey: 'key',
 *   consumerSecret: 'secret',
 *   token: 'token',
 *   tokenSecret: 'token-secret',
 *   policy: { origins: ['https://api.example.com'] },
 * });
 * const api = withForge(axios.create({ baseURL: 'https://api.example.com' }), authorizer);
 * ```
 */
export function oauth1Authorizer(options: OAuth1AuthorizerOptions): OAuth1Authorizer {
  // Seconds to add to the local clock, learnt from a provider that refused a timestamp.
  let clockOffset = 0;
  const clock = options.timestamp ?? defaultTimestamp;
  const signer = new OAuth1Signer({
    ...options,
    timestamp: () => (clockOffset === 0 ? clock() : Number(clock()) + clockOffset),
  });
  const token = tokenCredentials(options, !signer.signatureMethod.startsWith('RSA-'));
  const policy = compilePolicy(options.policy, signer.signatureMethod === 'PLAINTEXT');
  const summary = `OAuth1Authorizer { consumerKey: '${signer.consumerKey}', signatureMethod: '${signer.signatureMethod}', transmission: '${signer.transmission}', token: ${token ? 'set' : 'none'} }`;
  return {
    signer,
    policy,
    signsBody: true,
    ready: () => signer.ready(),
    ...(policy ? { mayRedirect: (from: string, to: string) => policy.mayRedirect(from, to) } : {}),
    async authorize(request) {
      if (policy && !policy.mayAuthorize(request.url, request.headers)) return undefined;
      const signed = await signer.sign(request, { token });
      return {
        headers: signed.headers,
        ...(signer.transmission === 'query' ? { url: signed.url } : {}),
        ...(signed.body === undefined ? {} : { body: signed.body }),
      };
    },
    onUnauthorized(request, response) {
      return retryAfterProblem(request.attempt, response, (serverSeconds) => {
        clockOffset = serverSeconds - Number(clock());
      });
    },
    [INSPECT]: () => summary,
    toJSON: () => summary,
  } as OAuth1Authorizer;
}

/**
 * Like {@link oauth1Authorizer}, but resolves only once the signing key is
 * imported: an RSA key that Web Crypto cannot use rejects here with a
 * `ConfigurationError` naming `privateKey`, not on the first request.
 *
 * @example
 * ```ts
 * const authorizer = await createOAuth1Authorizer({
 *   consumerKey: 'key',
 *   signatureMethod: 'RSA-SHA256',
 *   privateKey: await readFile('private-key.pem', 'utf8'),
 * });
 * ```
 */
export async function createOAuth1Authorizer(
  options: OAuth1AuthorizerOptions,
): Promise<OAuth1Authorizer> {
  const authorizer = oauth1Authorizer(options);
  await authorizer.ready();
  return authorizer;
}

import {
  type AsymmetricAlgorithm,
  type ClientAuthMethod,
  ClientCredentialsTokenProvider,
  ConfigurationError,
  DiscoveryCache,
  GrantTypeTokenProvider,
  JwtBearerTokenProvider,
  type OAuthClientOptions,
  PasswordGrantTokenProvider,
  privateKeyJwt,
  RefreshTokenProvider,
  type SigningKey,
  type Token,
  TokenExchangeProvider,
} from '@forge/core';
import { type Settings, sourcesOf, specOf } from './spec.js';

/** The grants the CLI builds a library provider for, by the names users type. */
const GRANTS: Readonly<Record<string, string>> = {
  client_credentials: 'client_credentials',
  password: 'password',
  refresh_token: 'refresh_token',
  token_exchange: 'token_exchange',
  'urn:ietf:params:oauth:grant-type:token-exchange': 'token_exchange',
  jwt_bearer: 'jwt_bearer',
  'urn:ietf:params:oauth:grant-type:jwt-bearer': 'jwt_bearer',
};

/** A provider ready to ask for one token, and what it is, for reports. */
export interface TokenRequester {
  readonly serviceName: string;
  /** `client_credentials`, …, or the grant_type URI of a custom grant. */
  readonly grant: string;
  readonly clientAuth: string;
  readonly clientId: string | undefined;
  /** Values that must never be printed: every credential in the settings. */
  readonly secrets: readonly string[];
  tokenEndpoint(signal?: AbortSignal): Promise<string>;
  request(signal?: AbortSignal): Promise<Token>;
}

export interface BuildOptions {
  readonly fetch?: typeof fetch;
  /** Retries when the settings name none. */
  readonly defaultRetries: number;
  /** Replaces the configured client authentication method (doctor's probes). */
  readonly clientAuth?: ClientAuthMethod;
  /** Replaces `tokenEndpoint` (doctor, after discovery). */
  readonly tokenEndpoint?: string;
  /** Leaves `issuer` out (doctor, when the issuer does not match the server's). */
  readonly withoutIssuer?: boolean;
}

const METHODS: readonly string[] = [
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
  'private_key_jwt',
  'none',
];

const SECRET_KEYS = [
  'clientSecret',
  'privateKey',
  'password',
  'refreshToken',
  'subjectToken',
  'actorToken',
  'assertion',
  'assertionKey',
] as const;

/** Reads a key given as a file's content: a JWK is JSON, anything else is taken as PEM. */
function signingKey(text: string, option: string): SigningKey {
  if (!text.trimStart().startsWith('{')) return text;
  try {
    return JSON.parse(text) as SigningKey;
  } catch {
    throw new ConfigurationError(option, 'looks like a JWK but is not valid JSON', {
      package: 'cli',
    });
  }
}

function parseParams(entries: readonly string[] | undefined): Record<string, string[]> {
  const params: Record<string, string[]> = {};
  for (const entry of entries ?? []) {
    const at = entry.indexOf('=');
    if (at <= 0) {
      // Not echoed: a value without its name may well be the secret itself.
      throw new ConfigurationError(
        '--param',
        'each parameter must be name=value (one has no name)',
        {
          package: 'cli',
        },
      );
    }
    const name = entry.slice(0, at);
    params[name] = [...(params[name] ?? []), entry.slice(at + 1)];
  }
  return params;
}

function one<T>(list: readonly T[] | undefined): T | readonly T[] | undefined {
  return list?.length === 1 ? list[0] : list;
}

/** Drops undefined values: the library refuses `clientSecret: undefined` (an unset variable). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Builds the library's provider for the settings. The library validates
 * every option; its `ConfigurationError` is re-thrown naming the flag and
 * variable the user sets instead of the library's option name.
 */
export function buildRequester(settings: Settings, options: BuildOptions): TokenRequester {
  try {
    return build(settings, options);
  } catch (error) {
    if (error instanceof ConfigurationError && !error.message.startsWith('[forge] [cli]')) {
      const spec = specOf(error.option.split('.')[0] ?? '');
      const problem = error.message.replace(/^\[forge\] \[[^\]]+\] Invalid option `[^`]*`: /, '');
      throw new ConfigurationError(
        spec ? `${spec.key}` : error.option,
        `${problem}${spec ? ` (set it with ${sourcesOf(spec)})` : ''}`,
        {
          package: 'cli',
          cause: error,
        },
      );
    }
    throw error;
  }
}

function build(settings: Settings, options: BuildOptions): TokenRequester {
  const raw = settings.grant ?? 'client_credentials';
  const grant = GRANTS[raw] ?? raw;
  const retries = settings.retries ?? options.defaultRetries;
  if (retries > 19) {
    // The library counts attempts (1 to 20); the CLI counts retries.
    throw new ConfigurationError(
      'retries',
      'must be from 0 to 19 (set it with --retries, FORGE_RETRIES)',
      {
        package: 'cli',
      },
    );
  }
  const clientAuthName = options.clientAuth ?? settings.clientAuth;
  if (clientAuthName !== undefined && !METHODS.includes(clientAuthName)) {
    // The library quotes the value; a secret pasted into the wrong flag must not be printed.
    throw new ConfigurationError(
      'clientAuth',
      `is not a client authentication method; use one of ${METHODS.join(', ')} (set it with --client-auth, FORGE_CLIENT_AUTH)`,
      { package: 'cli' },
    );
  }
  const privateKey =
    settings.privateKey === undefined ? undefined : signingKey(settings.privateKey, 'privateKey');
  // alg and kid live on the privateKeyJwt() factory, not on the provider options.
  const usePrivateKeyJwt =
    (clientAuthName === 'private_key_jwt' ||
      (clientAuthName === undefined && settings.clientSecret === undefined)) &&
    privateKey !== undefined &&
    (settings.alg !== undefined || settings.kid !== undefined);
  if (usePrivateKeyJwt && settings.clientId === undefined) {
    throw new ConfigurationError('clientId', 'is required', { package: 'core' });
  }
  const common: OAuthClientOptions = defined({
    // The library names a service after its client; a grant without one (jwt_bearer) gets a name too.
    serviceName: settings.serviceName ?? (settings.clientId === undefined ? 'forge' : undefined),
    clientId: usePrivateKeyJwt ? undefined : settings.clientId,
    clientSecret: settings.clientSecret,
    clientAuth: usePrivateKeyJwt
      ? privateKeyJwt(
          settings.clientId as string,
          privateKey as SigningKey,
          defined({ alg: settings.alg as AsymmetricAlgorithm | undefined, kid: settings.kid }),
        )
      : (clientAuthName as ClientAuthMethod | undefined),
    privateKey: usePrivateKeyJwt ? undefined : privateKey,
    issuer: options.withoutIssuer ? undefined : settings.issuer,
    tokenEndpoint: options.tokenEndpoint ?? settings.tokenEndpoint,
    timeoutMs: settings.timeoutMs,
    retry: retries === 0 ? false : { maxAttempts: retries + 1 },
    fetch: options.fetch,
    // Each run discovers afresh: doctor's probes must not reuse a failed or stale answer.
    discovery: new DiscoveryCache(),
  });
  const params = parseParams(settings.params);
  const scope = one(settings.scope);
  const audience = one(settings.audience);
  const resource = one(settings.resource);
  // A custom grant's parameters are whatever the vendor wants (an API key, often): all are
  // treated as secrets, scrubbed from errors like the built-in ones.
  const secrets = [
    ...SECRET_KEYS.map((key) => settings[key]),
    ...(GRANTS[raw] === undefined ? Object.values(params).flat() : []),
  ].filter((v): v is string => typeof v === 'string');

  const describe = (
    provider: {
      serviceName: string;
      clientAuthMethod: string;
      clientId: string | undefined;
      tokenEndpoint(signal?: AbortSignal): Promise<string>;
    },
    request: (signal?: AbortSignal) => Promise<Token>,
  ): TokenRequester => ({
    serviceName: provider.serviceName,
    grant,
    clientAuth: provider.clientAuthMethod,
    clientId: provider.clientId,
    secrets,
    tokenEndpoint: (signal) => provider.tokenEndpoint(signal),
    request,
  });
  const context = (signal?: AbortSignal) => ({
    key: 'forge-cli',
    signal: signal ?? new AbortController().signal,
  });
  const extraParams = Object.keys(params).length > 0 ? params : undefined;

  switch (grant) {
    case 'client_credentials': {
      const provider = new ClientCredentialsTokenProvider(
        defined({ ...common, scope, audience, resource, extraParams }),
      );
      return describe(provider, (signal) => provider.fetchToken(undefined, context(signal)));
    }
    case 'password': {
      const provider = new PasswordGrantTokenProvider(
        defined({
          ...common,
          username: settings.username as string,
          password: settings.password as string,
          scope,
          extraParams,
        }),
      );
      return describe(provider, (signal) => provider.fetchToken(undefined, context(signal)));
    }
    case 'refresh_token': {
      const provider = new RefreshTokenProvider(
        defined({ ...common, refreshToken: settings.refreshToken as string, scope, extraParams }),
      );
      return describe(provider, (signal) => provider.fetchToken(undefined, context(signal)));
    }
    case 'token_exchange': {
      const provider = new TokenExchangeProvider(
        defined({
          ...common,
          audience,
          scope,
          resource,
          requestedTokenType: settings.requestedTokenType,
          extraParams,
        }),
      );
      if (settings.subjectToken === undefined) {
        throw new ConfigurationError('subjectToken', 'is required for token_exchange', {
          package: 'core',
        });
      }
      const input = defined({
        subjectToken: settings.subjectToken,
        subjectTokenType: settings.subjectTokenType,
        actorToken: settings.actorToken,
        actorTokenType: settings.actorTokenType,
      });
      return describe(provider, (signal) => provider.fetchToken(input, context(signal)));
    }
    case 'jwt_bearer': {
      const assertion = settings.assertion;
      const signer =
        settings.assertionKey === undefined
          ? undefined
          : defined({
              key: signingKey(settings.assertionKey, 'assertionKey'),
              issuer: settings.assertionIssuer as string,
              subject: settings.assertionSubject as string,
              audience: one(settings.assertionAudience),
            });
      if (signer && (signer.issuer === undefined || signer.subject === undefined)) {
        throw new ConfigurationError(
          signer.issuer === undefined ? 'assertionIssuer' : 'assertionSubject',
          'is required with an assertion key',
          { package: 'core' },
        );
      }
      const provider = new JwtBearerTokenProvider(
        defined({
          ...common,
          assertion: assertion === undefined ? undefined : () => assertion,
          signer,
          scope,
          extraParams,
        }),
      );
      return describe(provider, (signal) => provider.fetchToken(undefined, context(signal)));
    }
    default: {
      const provider = new GrantTypeTokenProvider(
        defined({
          ...common,
          grantType: grant,
          secretParams: Object.keys(params),
          params: {
            ...params,
            scope: scope === undefined ? undefined : [scope].flat().join(' '),
            audience,
            resource,
          },
        }),
      );
      return describe(provider, (signal) => provider.fetchToken(undefined, context(signal)));
    }
  }
}

/**
 * Every token option the CLI takes, in one table: its name in a config file
 * (the library's option name where there is one), its flag and its
 * environment variable. Flags, environment and config files are all read
 * through this table, so the three can never disagree.
 */
export interface OptionSpec {
  /** The name in a config file and in the resolved settings. */
  readonly key: SettingKey;
  /** The long flag, without `--`. */
  readonly flag: string;
  readonly env: string;
  readonly kind: 'string' | 'list' | 'number';
  /**
   * A credential. Also read from a file (`--<flag>-file`, `<ENV>_FILE`,
   * `<key>File`); given as a flag it works but draws a warning (argv is
   * visible in `ps` and shell history).
   */
  readonly secret?: 'flag-warns' | 'file-only';
  readonly help: string;
}

/** The options a config file, the environment or the flags can set. */
export interface Settings {
  grant?: string;
  serviceName?: string;
  issuer?: string;
  tokenEndpoint?: string;
  clientId?: string;
  clientSecret?: string;
  clientAuth?: string;
  privateKey?: string;
  alg?: string;
  kid?: string;
  scope?: string[];
  audience?: string[];
  resource?: string[];
  username?: string;
  password?: string;
  refreshToken?: string;
  subjectToken?: string;
  subjectTokenType?: string;
  actorToken?: string;
  actorTokenType?: string;
  requestedTokenType?: string;
  assertion?: string;
  assertionKey?: string;
  assertionIssuer?: string;
  assertionSubject?: string;
  assertionAudience?: string[];
  params?: string[];
  timeoutMs?: number;
  retries?: number;
}

export type SettingKey = keyof Settings;

export const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'grant',
    flag: 'grant',
    env: 'FORGE_GRANT',
    kind: 'string',
    help: 'client_credentials (default), password, refresh_token, token_exchange, jwt_bearer, or any grant_type URI',
  },
  {
    key: 'serviceName',
    flag: 'service-name',
    env: 'FORGE_SERVICE_NAME',
    kind: 'string',
    help: 'name shown in messages (default: the client id)',
  },
  {
    key: 'issuer',
    flag: 'issuer',
    env: 'FORGE_ISSUER',
    kind: 'string',
    help: 'issuer URL; the token endpoint is discovered from its metadata',
  },
  {
    key: 'tokenEndpoint',
    flag: 'token-endpoint',
    env: 'FORGE_TOKEN_ENDPOINT',
    kind: 'string',
    help: 'token endpoint URL (instead of, or besides, --issuer)',
  },
  { key: 'clientId', flag: 'client-id', env: 'FORGE_CLIENT_ID', kind: 'string', help: 'client id' },
  {
    key: 'clientSecret',
    flag: 'client-secret',
    env: 'FORGE_CLIENT_SECRET',
    kind: 'string',
    secret: 'flag-warns',
    help: 'client secret (prefer FORGE_CLIENT_SECRET or --client-secret-file)',
  },
  {
    key: 'clientAuth',
    flag: 'client-auth',
    env: 'FORGE_CLIENT_AUTH',
    kind: 'string',
    help: 'client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt or none',
  },
  {
    key: 'privateKey',
    flag: 'private-key',
    env: 'FORGE_PRIVATE_KEY',
    kind: 'string',
    secret: 'file-only',
    help: 'private key for private_key_jwt: PKCS#8 PEM or private JWK (--private-key-file)',
  },
  {
    key: 'alg',
    flag: 'alg',
    env: 'FORGE_ALG',
    kind: 'string',
    help: 'signing algorithm for private_key_jwt (default from the key)',
  },
  { key: 'kid', flag: 'kid', env: 'FORGE_KID', kind: 'string', help: 'key id for private_key_jwt' },
  {
    key: 'scope',
    flag: 'scope',
    env: 'FORGE_SCOPE',
    kind: 'list',
    help: 'scope (repeat the flag, or space-separated)',
  },
  {
    key: 'audience',
    flag: 'audience',
    env: 'FORGE_AUDIENCE',
    kind: 'list',
    help: 'audience (repeatable)',
  },
  {
    key: 'resource',
    flag: 'resource',
    env: 'FORGE_RESOURCE',
    kind: 'list',
    help: 'resource indicator, RFC 8707 (repeatable)',
  },
  {
    key: 'username',
    flag: 'username',
    env: 'FORGE_USERNAME',
    kind: 'string',
    help: 'password grant: user name',
  },
  {
    key: 'password',
    flag: 'password',
    env: 'FORGE_PASSWORD',
    kind: 'string',
    secret: 'flag-warns',
    help: 'password grant: password (prefer FORGE_PASSWORD or --password-file)',
  },
  {
    key: 'refreshToken',
    flag: 'refresh-token',
    env: 'FORGE_REFRESH_TOKEN',
    kind: 'string',
    secret: 'flag-warns',
    help: 'refresh_token grant: the refresh token (prefer FORGE_REFRESH_TOKEN or --refresh-token-file)',
  },
  {
    key: 'subjectToken',
    flag: 'subject-token',
    env: 'FORGE_SUBJECT_TOKEN',
    kind: 'string',
    secret: 'flag-warns',
    help: 'token exchange: the subject token',
  },
  {
    key: 'subjectTokenType',
    flag: 'subject-token-type',
    env: 'FORGE_SUBJECT_TOKEN_TYPE',
    kind: 'string',
    help: 'token exchange: subject token type URI (default access_token)',
  },
  {
    key: 'actorToken',
    flag: 'actor-token',
    env: 'FORGE_ACTOR_TOKEN',
    kind: 'string',
    secret: 'flag-warns',
    help: 'token exchange: the actor token',
  },
  {
    key: 'actorTokenType',
    flag: 'actor-token-type',
    env: 'FORGE_ACTOR_TOKEN_TYPE',
    kind: 'string',
    help: 'token exchange: actor token type URI',
  },
  {
    key: 'requestedTokenType',
    flag: 'requested-token-type',
    env: 'FORGE_REQUESTED_TOKEN_TYPE',
    kind: 'string',
    help: 'token exchange: requested token type URI',
  },
  {
    key: 'assertion',
    flag: 'assertion',
    env: 'FORGE_ASSERTION',
    kind: 'string',
    secret: 'flag-warns',
    help: 'jwt_bearer: a ready JWT assertion',
  },
  {
    key: 'assertionKey',
    flag: 'assertion-key',
    env: 'FORGE_ASSERTION_KEY',
    kind: 'string',
    secret: 'file-only',
    help: 'jwt_bearer: key that signs a fresh assertion (--assertion-key-file)',
  },
  {
    key: 'assertionIssuer',
    flag: 'assertion-issuer',
    env: 'FORGE_ASSERTION_ISSUER',
    kind: 'string',
    help: 'jwt_bearer: iss of the signed assertion',
  },
  {
    key: 'assertionSubject',
    flag: 'assertion-subject',
    env: 'FORGE_ASSERTION_SUBJECT',
    kind: 'string',
    help: 'jwt_bearer: sub of the signed assertion',
  },
  {
    key: 'assertionAudience',
    flag: 'assertion-audience',
    env: 'FORGE_ASSERTION_AUDIENCE',
    kind: 'list',
    help: 'jwt_bearer: aud of the signed assertion (default the token endpoint)',
  },
  {
    key: 'params',
    flag: 'param',
    env: 'FORGE_PARAMS',
    kind: 'list',
    help: 'extra form parameter name=value (repeatable); the grant parameters of any other grant',
  },
  {
    key: 'timeoutMs',
    flag: 'timeout-ms',
    env: 'FORGE_TIMEOUT_MS',
    kind: 'number',
    help: 'timeout of each HTTP request in ms (default 10000)',
  },
  {
    key: 'retries',
    flag: 'retries',
    env: 'FORGE_RETRIES',
    kind: 'number',
    help: 'retries after network errors, 5xx and 429 (token: 2, doctor: 0)',
  },
];

/** Where a setting can come from, for messages: `--client-secret-file, FORGE_CLIENT_SECRET`. */
export function sourcesOf(spec: OptionSpec): string {
  if (spec.secret === 'file-only') return `--${spec.flag}-file, ${spec.env}, ${spec.env}_FILE`;
  if (spec.secret) return `--${spec.flag}-file, ${spec.env}, ${spec.env}_FILE, --${spec.flag}`;
  return `--${spec.flag}, ${spec.env}`;
}

export function specOf(key: string): OptionSpec | undefined {
  return OPTIONS.find((spec) => spec.key === key);
}

import type { Check } from './check.js';

/** What discovery said about the server, as far as the checks use it. */
export interface ServerMetadata {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly authMethods: readonly string[] | undefined;
  readonly grantTypes: readonly string[] | undefined;
}

function strings(value: unknown): readonly string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
    ? value
    : undefined;
}

export function readMetadata(
  fields: Readonly<Record<string, unknown>>,
): ServerMetadata | undefined {
  if (typeof fields.issuer !== 'string' || typeof fields.token_endpoint !== 'string')
    return undefined;
  return {
    issuer: fields.issuer,
    tokenEndpoint: fields.token_endpoint,
    authMethods: strings(fields.token_endpoint_auth_methods_supported),
    grantTypes: strings(fields.grant_types_supported),
  };
}

const GRANT_URIS: Readonly<Record<string, string>> = {
  token_exchange: 'urn:ietf:params:oauth:grant-type:token-exchange',
  jwt_bearer: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
};

/** What the metadata advertises against what the client uses: warnings only, servers under-advertise. */
export function advertisedChecks(
  metadata: ServerMetadata,
  grant: string,
  clientAuth: string,
): Check[] {
  const checks: Check[] = [];
  if (metadata.authMethods && clientAuth !== 'none' && !metadata.authMethods.includes(clientAuth)) {
    checks.push({
      id: 'client-auth-advertised',
      status: 'warn',
      summary: `The server does not advertise ${clientAuth}; it lists ${metadata.authMethods.join(', ')}.`,
      fix: `Use the method the client is registered with: --client-auth ${metadata.authMethods[0]} (or another one listed).`,
    });
  }
  const grantType = GRANT_URIS[grant] ?? grant;
  if (metadata.grantTypes && !metadata.grantTypes.includes(grantType)) {
    checks.push({
      id: 'grant-advertised',
      status: 'warn',
      summary: `The server does not advertise the ${grantType} grant; it lists ${metadata.grantTypes.join(', ')}.`,
      fix: 'Check that the server supports this grant and that the client is allowed to use it.',
    });
  }
  return checks;
}

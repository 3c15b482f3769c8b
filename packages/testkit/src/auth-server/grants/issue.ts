import type { KoaContextWithOIDC, Provider } from 'oidc-provider';
import type { OidcErrors } from '../oidc.js';

/** Scopes a custom grant may grant: what was asked for, limited to the client's registered `scope`. */
export function grantableScope(
  errors: OidcErrors,
  ctx: KoaContextWithOIDC,
  requested: unknown,
): string | undefined {
  if (requested === undefined || requested === '') return undefined;
  if (typeof requested !== 'string') throw new errors.InvalidRequest('scope must be a string');
  const client = ctx.oidc.client;
  const allowed = new Set((client?.scope ?? '').split(' ').filter(Boolean));
  const scopes = requested.split(' ').filter(Boolean);
  const missing = scopes.filter((scope) => allowed.size > 0 && !allowed.has(scope));
  if (missing.length > 0) {
    throw new errors.InvalidScope(
      'requested scope is not allowed for this client',
      missing.join(' '),
    );
  }
  return scopes.join(' ');
}

export interface IssueOptions {
  readonly accountId: string;
  readonly scope: string | undefined;
  readonly gty: string;
  readonly audience?: string | undefined;
  readonly refreshToken?: boolean;
  readonly extra?: Record<string, unknown>;
}

export interface IssuedTokens {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string | undefined;
}

/**
 * Issues an access token (and optionally a refresh token) the way oidc-provider's
 * own grants do: under a saved `Grant`, so refresh, revocation and introspection
 * treat tokens from custom grants like any other.
 */
export async function issueTokens(
  provider: Provider,
  errors: OidcErrors,
  ctx: KoaContextWithOIDC,
  options: IssueOptions,
): Promise<IssuedTokens> {
  const client = ctx.oidc.client;
  if (!client) throw new errors.InvalidClient('client authentication failed');
  const grant = new provider.Grant({ accountId: options.accountId, clientId: client.clientId });
  if (options.scope) grant.addOIDCScope(options.scope);
  const grantId = await grant.save();
  const at = new provider.AccessToken({
    accountId: options.accountId,
    client,
    grantId,
    gty: options.gty,
    scope: options.scope,
    expiresWithSession: false,
  });
  if (options.audience) at.aud = options.audience;
  if (options.extra) at.extra = options.extra;
  const accessToken = await at.save();
  let refreshToken: string | undefined;
  if (options.refreshToken && client.grantTypeAllowed('refresh_token')) {
    const rt = new provider.RefreshToken({
      accountId: options.accountId,
      client,
      grantId,
      gty: options.gty,
      scope: options.scope ?? '',
      rotations: 0,
      expiresWithSession: false,
    });
    refreshToken = await rt.save();
  }
  return { accessToken, expiresIn: at.expiration, refreshToken };
}

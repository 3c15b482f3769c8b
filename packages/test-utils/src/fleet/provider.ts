import { AuthenticationError, Token, type TokenProvider } from '@forge/core';

/**
 * A minimal custom provider for the loopback endpoint: client credentials,
 * and refresh with the stored refresh token. `clock` is the manager's clock,
 * so tests can move time forward without sleeping.
 */
export function loopbackProvider(url: string, clock: () => number): TokenProvider {
  const request = async (form: Record<string, string>): Promise<Token> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await response.json()) as Record<string, unknown>;
    if (!response.ok) {
      throw new AuthenticationError('token request refused', {
        serviceName: 'fleet',
        status: response.status,
        error: String(body.error),
      });
    }
    return new Token({
      accessToken: String(body.access_token),
      tokenType: String(body.token_type),
      expiresAt: clock() + Number(body.expires_in) * 1_000,
      issuedAt: clock(),
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    });
  };
  return {
    serviceName: 'fleet',
    fetchToken: () => request({ grant_type: 'client_credentials' }),
    refreshToken: (current: Token) =>
      request({ grant_type: 'refresh_token', refresh_token: current.refreshToken ?? '' }),
  };
}

/**
 * RFC 8693 token type identifiers the testkit understands.
 *
 * @example
 * ```ts
 * new URLSearchParams({ subject_token: jwt, subject_token_type: TokenType.Jwt });
 * ```
 */
export const TokenType = {
  AccessToken: 'urn:ietf:params:oauth:token-type:access_token',
  Jwt: 'urn:ietf:params:oauth:token-type:jwt',
  IdToken: 'urn:ietf:params:oauth:token-type:id_token',
} as const;

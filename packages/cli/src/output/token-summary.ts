import type { Token } from '@forge/core';
import { type DecodedJwt, decodeJwt } from './jwt.js';

/** What `forge token` reports about a token: everything but the credentials, unless asked. */
export interface TokenSummary {
  readonly serviceName: string;
  readonly grant: string;
  readonly clientAuth: string;
  readonly tokenEndpoint: string;
  readonly tokenType: string;
  readonly scope: string | null;
  readonly expiresAt: string | null;
  readonly expiresInSeconds: number | null;
  readonly format: 'jwt' | 'jwe' | 'opaque';
  readonly length: number;
  readonly hasRefreshToken: boolean;
  /** Header and claims of a JWT access token; the signature is not verified. */
  readonly jwt: DecodedJwt | null;
  /** Header and claims of an `id_token` in the response. */
  readonly idToken: DecodedJwt | null;
  /** Other response fields; values of credential-like fields are replaced. */
  readonly extra: Readonly<Record<string, unknown>>;
  readonly accessToken?: string;
  readonly refreshToken?: string;
}

const CREDENTIAL_FIELD = /token|secret|assertion|code|password/i;
export const HIDDEN = '[hidden]';

export interface SummaryContext {
  readonly serviceName: string;
  readonly grant: string;
  readonly clientAuth: string;
  readonly tokenEndpoint: string;
  readonly showToken: boolean;
  readonly now: number;
}

export function summarizeToken(token: Token, context: SummaryContext): TokenSummary {
  const jwt = decodeJwt(token.accessToken) ?? null;
  const { id_token: idToken, ...rest } = token.extra;
  const extra = Object.fromEntries(
    Object.entries(rest).map(([name, value]) => [
      name,
      CREDENTIAL_FIELD.test(name) ? HIDDEN : value,
    ]),
  );
  const expiresAt = token.expiresAt;
  return {
    serviceName: context.serviceName,
    grant: context.grant,
    clientAuth: context.clientAuth,
    tokenEndpoint: context.tokenEndpoint,
    tokenType: token.tokenType,
    scope: token.scope ?? null,
    expiresAt: expiresAt?.toISOString() ?? null,
    expiresInSeconds: expiresAt ? Math.round((expiresAt.getTime() - context.now) / 1000) : null,
    format: jwt === null ? 'opaque' : jwt.claims === undefined ? 'jwe' : 'jwt',
    length: token.accessToken.length,
    hasRefreshToken: token.refreshToken !== undefined,
    jwt,
    idToken: decodeJwt(idToken) ?? null,
    extra,
    ...(context.showToken
      ? {
          accessToken: token.accessToken,
          ...(token.refreshToken === undefined ? {} : { refreshToken: token.refreshToken }),
        }
      : {}),
  };
}

const TIME_CLAIMS = new Set(['exp', 'iat', 'nbf', 'auth_time']);

function claimsText(claims: Readonly<Record<string, unknown>>, indent: string): string {
  return Object.entries(claims)
    .map(([name, value]) => {
      const time =
        TIME_CLAIMS.has(name) && typeof value === 'number'
          ? `  (${new Date(value * 1000).toISOString()})`
          : '';
      return `${indent}${name}: ${JSON.stringify(value)}${time}`;
    })
    .join('\n');
}

function jwtText(label: string, decoded: DecodedJwt): string[] {
  const lines = [`  ${label} header   ${JSON.stringify(decoded.header)}`];
  if (decoded.claims === undefined) lines.push(`  ${label} claims   (encrypted, not readable)`);
  else lines.push(`  ${label} claims`, claimsText(decoded.claims, '    '));
  return lines;
}

/** The human form of a summary. */
export function formatSummary(summary: TokenSummary): string {
  const expires =
    summary.expiresAt === null
      ? 'not stated by the server'
      : `${summary.expiresAt} (in ${summary.expiresInSeconds} s)`;
  const lines = [
    `Token for "${summary.serviceName}" (${summary.grant}, ${summary.clientAuth})`,
    `  token endpoint  ${summary.tokenEndpoint}`,
    `  type            ${summary.tokenType}`,
    `  scope           ${summary.scope ?? '(not stated by the server)'}`,
    `  expires         ${expires}`,
    `  access token    ${summary.format}, ${summary.length} characters${summary.accessToken === undefined ? ' (hidden; --show-token prints it)' : ''}`,
    `  refresh token   ${summary.hasRefreshToken ? (summary.refreshToken === undefined ? 'received (hidden)' : 'received') : 'none'}`,
  ];
  for (const [name, value] of Object.entries(summary.extra)) {
    lines.push(`  ${name.padEnd(15)} ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  }
  if (summary.jwt) lines.push(...jwtText('JWT', summary.jwt), '  (signature not verified)');
  if (summary.idToken) lines.push(...jwtText('id_token', summary.idToken));
  if (summary.accessToken !== undefined) lines.push('', `access_token=${summary.accessToken}`);
  if (summary.refreshToken !== undefined) lines.push(`refresh_token=${summary.refreshToken}`);
  return `${lines.join('\n')}\n`;
}

import { randomUUID } from 'node:crypto';
import { importJWK, importPKCS8, SignJWT } from 'jose';
import type { AuthServer, PrivateKeyJwtClient, SecretClient } from '../src/index.js';

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding. */
export function basicAuth(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

export async function clientSecretJwt(auth: AuthServer, client: SecretClient): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(auth.tokenEndpoint)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setJti(randomUUID())
    .sign(new TextEncoder().encode(client.clientSecret));
}

export async function privateKeyJwt(
  auth: AuthServer,
  client: PrivateKeyJwtClient,
  keyForm: 'pem' | 'jwk' = 'pem',
): Promise<string> {
  const key =
    keyForm === 'pem'
      ? await importPKCS8(client.privateKeyPem, client.alg)
      : await importJWK(client.privateJwk, client.alg);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: client.alg, kid: client.kid })
    .setIssuer(client.clientId)
    .setSubject(client.clientId)
    .setAudience(auth.issuer)
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setJti(randomUUID())
    .sign(key);
}

export interface TokenResponse {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
}

/** POSTs a form to the token endpoint, authenticating with client_secret_basic when `basic` is given. */
export async function tokenRequest(
  auth: AuthServer,
  params: Record<string, string>,
  basic?: SecretClient,
): Promise<TokenResponse> {
  const response = await fetch(auth.tokenEndpoint, {
    method: 'POST',
    headers: basic ? { authorization: basicAuth(basic.clientId, basic.clientSecret) } : {},
    body: new URLSearchParams(params),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

export function accessToken(response: TokenResponse): string {
  const value = response.body.access_token;
  if (typeof value !== 'string') {
    throw new Error(
      `no access_token in a ${response.status} answer: ${JSON.stringify(response.body)}`,
    );
  }
  return value;
}

export async function callApi(
  url: string,
  token: string | undefined,
  init: RequestInit = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const headers = new Headers(init.headers);
  if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

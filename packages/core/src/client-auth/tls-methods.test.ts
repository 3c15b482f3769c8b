import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { isCertificateMethod, selfSignedTlsClientAuth, tlsClientAuth } from './tls-methods.js';

describe('certificate client authentication', () => {
  it('sends only client_id: the certificate is the transport’s', () => {
    for (const [make, method] of [
      [tlsClientAuth, 'tls_client_auth'],
      [selfSignedTlsClientAuth, 'self_signed_tls_client_auth'],
    ] as const) {
      const auth = make('svc');
      const body = new URLSearchParams();
      const headers: Record<string, string> = {};
      auth.apply({ body, headers, tokenEndpoint: 'https://auth.example/token' });
      expect(auth.method).toBe(method);
      expect(body.toString()).toBe('client_id=svc');
      expect(headers).toEqual({});
      expect(isCertificateMethod(method)).toBe(true);
      expect(inspect(auth)).toBe(`ClientAuth { method: '${method}', clientId: 'svc' }`);
      expect(JSON.stringify(auth)).toBe(`{"method":"${method}","clientId":"svc"}`);
    }
    expect(isCertificateMethod('client_secret_basic')).toBe(false);
  });

  it('needs a client id', () => {
    expect(() => tlsClientAuth('')).toThrow(ConfigurationError);
    expect(() => selfSignedTlsClientAuth(undefined as never)).toThrow(ConfigurationError);
  });
});

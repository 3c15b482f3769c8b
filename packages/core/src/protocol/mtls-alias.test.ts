import { describe, expect, it } from 'vitest';
import { TokenEndpointError } from '../errors.js';
import { type AuthorizationServerMetadata, mtlsEndpointAlias } from './discovery.js';

const base: AuthorizationServerMetadata = {
  issuer: 'https://auth.example',
  token_endpoint: 'https://auth.example/token',
};

describe('mtlsEndpointAlias', () => {
  it('reads the alias of a field, or nothing', () => {
    const metadata = {
      ...base,
      mtls_endpoint_aliases: { token_endpoint: 'https://mtls.auth.example/token' },
    };
    expect(mtlsEndpointAlias(metadata, 'token_endpoint', 'svc')).toBe(
      'https://mtls.auth.example/token',
    );
    expect(mtlsEndpointAlias(metadata, 'revocation_endpoint', 'svc')).toBeUndefined();
    expect(mtlsEndpointAlias(base, 'token_endpoint', 'svc')).toBeUndefined();
  });

  it('refuses an alias that is not an https URL, or aliases that are not an object', () => {
    for (const aliases of [
      { token_endpoint: 'http://mtls.auth.example/token' },
      { token_endpoint: 'javascript:alert(1)' },
      { token_endpoint: 42 },
      { token_endpoint: 'https://user:pw@mtls.auth.example/token' },
      'https://mtls.auth.example/token',
      ['https://mtls.auth.example/token'],
    ]) {
      const read = () =>
        mtlsEndpointAlias({ ...base, mtls_endpoint_aliases: aliases }, 'token_endpoint', 'svc');
      expect(read).toThrow(TokenEndpointError);
      expect(read).toThrow(/mtls_endpoint_aliases/);
      expect(read).not.toThrow(/pw@/);
    }
  });
});

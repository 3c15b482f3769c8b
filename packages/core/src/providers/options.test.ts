import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { clientSecretPost } from '../client-auth/secret-methods.js';
import { ConfigurationError } from '../errors.js';
import { AuthorizationCodeFlow } from './authorization-code.js';
import { ClientCredentialsTokenProvider } from './client-credentials.js';
import { JwtBearerTokenProvider } from './jwt-bearer.js';
import { PasswordGrantTokenProvider } from './password.js';
import { RefreshTokenProvider } from './refresh.js';
import { TokenExchangeProvider } from './token-exchange.js';

const endpoint = 'https://as.example/token';
const SECRET = 'very-secret-client-secret';

function configError(build: () => unknown): ConfigurationError {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return error as ConfigurationError;
  }
  throw new Error('expected a ConfigurationError');
}

describe('shared options validation', () => {
  it('names the offending option', () => {
    const cc = (options: Record<string, unknown>) => () =>
      new ClientCredentialsTokenProvider({
        clientId: 'c',
        clientSecret: SECRET,
        tokenEndpoint: endpoint,
        ...options,
      });
    expect(configError(cc({ clientId: '' })).option).toBe('clientId');
    expect(configError(cc({ clientId: undefined })).option).toBe('clientId');
    expect(configError(cc({ tokenEndpoint: 'not a url' })).option).toBe('tokenEndpoint');
    expect(configError(cc({ tokenEndpoint: 'ftp://as.example/token' })).option).toBe(
      'tokenEndpoint',
    );
    expect(configError(cc({ tokenEndpoint: 'https://u:p@as.example/token' })).option).toBe(
      'tokenEndpoint',
    );
    expect(configError(cc({ tokenEndpoint: undefined })).option).toBe('tokenEndpoint');
    expect(configError(cc({ issuer: 'nope', tokenEndpoint: undefined })).option).toBe('issuer');
    expect(configError(cc({ clientAuth: 'client_secret_magic' })).option).toBe('clientAuth');
    expect(configError(cc({ clientAuth: 'client_secret_magic' })).message).toContain(
      'client_secret_basic',
    );
    expect(configError(cc({ clientAuth: 'client_secret_magic' })).message).toContain(
      '"client_secret_magic"',
    );
    // A secret pasted into clientAuth is described, never quoted back.
    const pasted = configError(cc({ clientAuth: SECRET }));
    expect(pasted.message).not.toContain(SECRET);
    expect(pasted.message).toContain(`(a string of ${SECRET.length} characters)`);
    expect(configError(cc({ clientAuth: 'private_key_jwt' })).option).toBe('privateKey');
    expect(
      configError(cc({ clientSecret: undefined, clientAuth: 'client_secret_post' })).option,
    ).toBe('clientSecret');
    expect(configError(cc({ clientAuth: clientSecretPost('other', SECRET) })).option).toBe(
      'clientId',
    );
    expect(configError(cc({ scope: [1] })).option).toBe('scope');
    expect(configError(cc({ defaultLifetimeMs: 0 })).option).toBe('defaultLifetimeMs');
    expect(configError(cc({ timeoutMs: -1 })).option).toBe('timeoutMs');
    expect(configError(cc({ extraParams: { a: 1 } })).option).toBe('extraParams.a');
    expect(configError(cc({ serviceName: '' })).option).toBe('serviceName');
    const unset = configError(cc({ clientSecret: undefined }));
    expect(unset.option).toBe('clientSecret');
    expect(unset.message).toContain('environment variable');
  });

  it('allows http URLs (local servers) and defaults the auth method from the options', () => {
    const basic = new ClientCredentialsTokenProvider({
      clientId: 'c',
      clientSecret: SECRET,
      tokenEndpoint: 'http://localhost:8080/token',
    });
    expect(basic.clientAuthMethod).toBe('client_secret_basic');
    expect(basic.serviceName).toBe('c');
    const pub = new ClientCredentialsTokenProvider({ clientId: 'c', tokenEndpoint: endpoint });
    expect(pub.clientAuthMethod).toBe('none');
  });

  it('per-provider required options', async () => {
    expect(
      configError(
        () =>
          new PasswordGrantTokenProvider({
            clientId: 'c',
            tokenEndpoint: endpoint,
            username: 'u',
            password: '',
          }),
      ).option,
    ).toBe('password');
    expect(
      configError(
        () =>
          new RefreshTokenProvider({ clientId: 'c', tokenEndpoint: endpoint, refreshToken: '' }),
      ).option,
    ).toBe('refreshToken');
    expect(
      configError(() => new JwtBearerTokenProvider({ tokenEndpoint: endpoint, serviceName: 's' }))
        .option,
    ).toBe('assertion');
    expect(
      configError(
        () =>
          new JwtBearerTokenProvider({
            tokenEndpoint: endpoint,
            serviceName: 's',
            signer: { key: 'x', issuer: 'i', subject: 's' },
          }),
      ).option,
    ).toBe('signer.key');
    expect(
      configError(
        () => new JwtBearerTokenProvider({ tokenEndpoint: endpoint, assertion: () => 'a' }),
      ).option,
    ).toBe('serviceName');
    expect(
      configError(() => new AuthorizationCodeFlow({ clientId: 'c', tokenEndpoint: endpoint }))
        .option,
    ).toBe('authorizationEndpoint');
    const exchange = new TokenExchangeProvider({
      clientId: 'c',
      clientSecret: SECRET,
      tokenEndpoint: endpoint,
    });
    await expect(exchange.cacheKey({ subjectToken: '' })).rejects.toThrow(/`input.subjectToken`/);
    await expect(exchange.fetchToken({ subjectToken: '' })).rejects.toThrow(ConfigurationError);
  });
});

describe('inspect safety', () => {
  it('no provider shows a secret, password, refresh token or key', async () => {
    const pem =
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';
    const providers = [
      new ClientCredentialsTokenProvider({
        clientId: 'c',
        clientSecret: SECRET,
        tokenEndpoint: endpoint,
      }),
      new PasswordGrantTokenProvider({
        clientId: 'c',
        clientSecret: SECRET,
        tokenEndpoint: endpoint,
        username: 'u',
        password: 'user-password-value',
      }),
      new RefreshTokenProvider({
        clientId: 'c',
        clientSecret: SECRET,
        tokenEndpoint: endpoint,
        refreshToken: 'refresh-token-value',
      }),
      new JwtBearerTokenProvider({
        clientId: 'c',
        clientSecret: SECRET,
        clientAuth: 'client_secret_jwt',
        tokenEndpoint: endpoint,
        signer: { key: pem, issuer: 'i', subject: 's' },
      }),
      new TokenExchangeProvider({ clientId: 'c', clientSecret: SECRET, tokenEndpoint: endpoint }),
      new AuthorizationCodeFlow({
        clientId: 'c',
        clientSecret: SECRET,
        tokenEndpoint: endpoint,
        authorizationEndpoint: 'https://as.example/authorize',
        redirectUri: 'https://app.example/cb',
      }),
    ];
    for (const provider of providers) {
      const shown = [
        inspect(provider, { showHidden: true, depth: 20, getters: true }),
        JSON.stringify(provider),
        String(provider),
        Object.values(provider).join(' '),
      ].join('\n');
      for (const secret of [SECRET, 'user-password-value', 'refresh-token-value', 'MIGHAgEA']) {
        expect(shown).not.toContain(secret);
      }
      expect(shown).toContain(provider.constructor.name);
    }
  });
});

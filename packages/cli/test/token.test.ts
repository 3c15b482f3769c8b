// `forge token` against the testkit server: every grant the library ships,
// each source of options (flags, environment, JSON and YAML config files, in
// that order of precedence), JWT claims decoded, the token printed only with
// --show-token, and validation errors that exit 2.

import { type AuthServer, startAuthServer } from '@forge/testkit';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/index.js';
import { runCli, scratch, startServer } from './support.js';

let auth: AuthServer;
const files = scratch();
beforeAll(async () => {
  auth = await startAuthServer();
});
afterAll(async () => {
  await auth.close();
  files.dispose();
});

const basic = () => ['--issuer', auth.issuer, '--client-id', auth.clients.basic.clientId];
const secretEnv = () => ({ FORGE_CLIENT_SECRET: auth.clients.basic.clientSecret });

describe('forge token: grants and client authentication', () => {
  it('client credentials from flags and FORGE_CLIENT_SECRET: type, scope, expiry, no token', async () => {
    const run = await runCli(['token', ...basic(), '--scope', 'read'], secretEnv());
    expect(run.stderr).toBe('');
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout).toContain(
      'Token for "basic-client" (client_credentials, client_secret_basic)',
    );
    expect(run.stdout).toContain(`token endpoint  ${auth.tokenEndpoint}`);
    expect(run.stdout).toMatch(/type\s+Bearer/);
    expect(run.stdout).toMatch(/scope\s+read/);
    expect(run.stdout).toMatch(/expires\s+\d{4}-\d\d-\d\dT.*\(in 3600 s\)/);
    expect(run.stdout).toContain('(hidden; --show-token prints it)');
    expect(run.stdout).not.toContain('access_token=');
    expect(auth.tokenRequests(auth.clients.basic.clientId)).toBeGreaterThan(0);
  });

  it('--json: one document with the summary and no token; --show-token adds it', async () => {
    const hidden = JSON.parse((await runCli(['token', ...basic(), '--json'], secretEnv())).stdout);
    expect(hidden).toMatchObject({
      serviceName: 'basic-client',
      grant: 'client_credentials',
      clientAuth: 'client_secret_basic',
      tokenType: 'Bearer',
      format: 'opaque',
      expiresInSeconds: 3600,
      hasRefreshToken: false,
      jwt: null,
    });
    expect(hidden).not.toHaveProperty('accessToken');
    const shown = await runCli(['token', ...basic(), '--json', '--show-token'], secretEnv());
    const json = JSON.parse(shown.stdout);
    expect(json.accessToken).toMatch(/^[\w-]{20,}$/);
    expect(json.length).toBe(json.accessToken.length);
    const text = await runCli(['token', ...basic(), '--show-token'], secretEnv());
    expect(text.stdout).toMatch(/^access_token=[\w-]{20,}$/m);
  });

  it('client_secret_post, client_secret_jwt and private_key_jwt from a key file', async () => {
    const post = await runCli(
      [
        'token',
        '--issuer',
        auth.issuer,
        '--client-id',
        auth.clients.post.clientId,
        '--client-auth',
        'client_secret_post',
      ],
      { FORGE_CLIENT_SECRET: auth.clients.post.clientSecret },
    );
    expect(post.stdout).toContain('client_secret_post');
    const secretJwt = await runCli(
      [
        'token',
        '--issuer',
        auth.issuer,
        '--client-id',
        auth.clients.secretJwt.clientId,
        '--client-auth',
        'client_secret_jwt',
      ],
      { FORGE_CLIENT_SECRET: auth.clients.secretJwt.clientSecret },
    );
    expect(secretJwt.code).toBe(0);
    const { clientId, privateKeyPem, kid } = auth.clients.privateKeyJwt;
    const keyFile = files.file('client.pem', privateKeyPem);
    const pem = await runCli([
      'token',
      '--issuer',
      auth.issuer,
      '--client-id',
      clientId,
      '--private-key-file',
      keyFile,
      '--kid',
      kid,
    ]);
    expect(pem.stderr).toBe('');
    expect(pem.stdout).toContain('(client_credentials, private_key_jwt)');
    const jwkFile = files.file('client.jwk', JSON.stringify(auth.clients.privateKeyJwt.privateJwk));
    const jwk = await runCli(['token', '--issuer', auth.issuer, '--client-id', clientId], {
      FORGE_PRIVATE_KEY_FILE: jwkFile,
    });
    expect(jwk.code).toBe(0);
  });

  it('password grant with the password from a file, then refresh_token with the refresh token from the environment', async () => {
    const [alice] = auth.users;
    const passwordFile = files.file('password', `${alice?.password}\n`);
    const run = await runCli(
      [
        'token',
        ...basic(),
        '--grant',
        'password',
        '--username',
        alice?.username ?? '',
        '--password-file',
        passwordFile,
        '--scope',
        'openid offline_access read',
        '--json',
        '--show-token',
      ],
      secretEnv(),
    );
    expect(run.code).toBe(0);
    const first = JSON.parse(run.stdout);
    expect(first.hasRefreshToken).toBe(true);
    const refreshed = await runCli(['token', ...basic(), '--grant', 'refresh_token', '--json'], {
      ...secretEnv(),
      FORGE_REFRESH_TOKEN: first.refreshToken,
    });
    expect(refreshed.stderr).toBe('');
    expect(JSON.parse(refreshed.stdout)).toMatchObject({
      grant: 'refresh_token',
      tokenType: 'Bearer',
    });
  });

  it('token exchange and jwt-bearer (a ready assertion, and one signed from a key file)', async () => {
    const subjectToken = await auth.tokenExchange.createSubjectToken({ subject: 'user-42' });
    const exchanged = await runCli(
      [
        'token',
        ...basic(),
        '--grant',
        'token_exchange',
        '--subject-token-type',
        auth.tokenExchange.tokenTypes.Jwt,
        '--json',
      ],
      { ...secretEnv(), FORGE_SUBJECT_TOKEN: subjectToken },
    );
    expect(exchanged.stderr).toBe('');
    expect(JSON.parse(exchanged.stdout)).toMatchObject({ grant: 'token_exchange' });

    const assertion = await auth.jwtBearer.createAssertion({ subject: 'service-7' });
    const bearer = await runCli(
      ['token', ...basic(), '--grant', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
      {
        ...secretEnv(),
        FORGE_ASSERTION: assertion,
      },
    );
    expect(bearer.stdout).toContain('(jwt_bearer, client_secret_basic)');

    const { trustedIssuer } = auth.jwtBearer;
    const signed = await runCli(
      [
        'token',
        ...basic(),
        '--grant',
        'jwt_bearer',
        '--assertion-key-file',
        files.file('issuer.pem', trustedIssuer.key.privateKeyPem),
        '--assertion-issuer',
        trustedIssuer.issuer,
        '--assertion-subject',
        'service-8',
        '--assertion-audience',
        auth.issuer,
      ],
      secretEnv(),
    );
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
  });

  it('any other grant_type through GrantTypeTokenProvider, its parameters from FORGE_PARAMS', async () => {
    const [alice] = auth.users;
    const run = await runCli(
      ['token', ...basic(), '--grant', 'urn:ibm:params:oauth:grant-type:apikey', '--scope', 'read'],
      {
        ...secretEnv(),
        FORGE_PARAMS: `apikey=${alice?.username}:${alice?.password}`,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('(urn:ibm:params:oauth:grant-type:apikey, client_secret_basic)');
  });
});

describe('forge token: where options come from', () => {
  it('a YAML config file, with the secret from a file next to it', async () => {
    files.file('secret.txt', auth.clients.post.clientSecret);
    const config = files.file(
      'forge.yaml',
      `# the post client\nissuer: ${auth.issuer}\nclientId: ${auth.clients.post.clientId}\nclientSecretFile: secret.txt\nclientAuth: client_secret_post\nscope: [read, write]\n`,
    );
    const run = await runCli(['token', '--config', config, '--json']);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({
      clientAuth: 'client_secret_post',
      scope: 'read write',
    });
  });

  it('a JSON config file from FORGE_CONFIG; the environment overrides it and flags override both', async () => {
    const config = files.file(
      'forge.json',
      JSON.stringify({
        issuer: auth.issuer,
        clientId: 'nobody',
        clientSecret: 'wrong-secret',
        scope: 'write',
      }),
    );
    const run = await runCli(['token', '--json', '--client-id', auth.clients.basic.clientId], {
      FORGE_CONFIG: config,
      FORGE_CLIENT_SECRET: auth.clients.basic.clientSecret,
      FORGE_SCOPE: 'read',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ serviceName: 'basic-client', scope: 'read' });
  });

  it('warns when a secret is passed as a flag, and still works', async () => {
    const run = await runCli([
      'token',
      ...basic(),
      '--client-secret',
      auth.clients.basic.clientSecret,
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain(
      'forge: warning: --client-secret puts a secret on the command line',
    );
    expect(run.stderr).toContain('FORGE_CLIENT_SECRET');
    expect(run.stderr).not.toContain(auth.clients.basic.clientSecret);
  });
});

describe('forge token: JWT access tokens', () => {
  it('prints the header and claims of a JWT, says the signature is not verified, and hides the token', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ scope: 'read', tenant: 'acme' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt' })
      .setIssuer('https://as.example')
      .setSubject('svc')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
    const idToken = await new SignJWT({ email: 'alice@example.test' })
      .setProtectedHeader({ alg: 'ES256' })
      .setSubject('alice')
      .sign(privateKey);
    const server = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          access_token: jwt,
          token_type: 'bearer',
          expires_in: 600,
          id_token: idToken,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        }),
      );
    });
    try {
      const run = await runCli(
        ['token', '--token-endpoint', `${server.url}/token`, '--client-id', 'svc'],
        { FORGE_CLIENT_SECRET: 'x-secret' },
      );
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('access token    jwt');
      expect(run.stdout).toContain('JWT header   {"alg":"ES256","kid":"k1","typ":"at+jwt"}');
      expect(run.stdout).toContain('tenant: "acme"');
      expect(run.stdout).toContain(
        `exp: ${now + 600}  (${new Date((now + 600) * 1000).toISOString()})`,
      );
      expect(run.stdout).toContain('(signature not verified)');
      expect(run.stdout).toContain('issued_token_type [hidden]');
      expect(run.stdout).toContain('id_token claims');
      expect(run.stdout).toContain('email: "alice@example.test"');
      expect(run.stdout).not.toContain(jwt);
      expect(run.stdout).not.toContain(idToken);
      expect(run.stdout).not.toContain(jwt.split('.')[2]);
      const json = JSON.parse(
        (
          await runCli(
            ['token', '--token-endpoint', `${server.url}/token`, '--client-id', 'svc', '--json'],
            { FORGE_CLIENT_SECRET: 'x-secret' },
          )
        ).stdout,
      );
      expect(json.jwt.claims).toMatchObject({
        iss: 'https://as.example',
        sub: 'svc',
        tenant: 'acme',
      });
      expect(JSON.stringify(json)).not.toContain(jwt.split('.')[2]);
    } finally {
      await server.close();
    }
  });
});

describe('forge token: validation and failures', () => {
  it.each([
    [['token', '--nope'], 'unknown option "--nope"'],
    [
      ['token', '--Secret-Value-1234'],
      'unknown option (not shown: it does not look like an option)',
    ],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['token', '--client-id', 'x'], 'Invalid option `tokenEndpoint`'],
    [
      ['token', '--issuer', 'not a url', '--client-id', 'x'],
      'Invalid option `issuer`: must be an absolute http(s) URL',
    ],
    [
      [
        'token',
        '--token-endpoint',
        'http://127.0.0.1:9/t',
        '--client-auth',
        'client_secret_basic',
        '--client-id',
        'x',
      ],
      'Invalid option `clientSecret`',
    ],
    [
      [
        'token',
        '--token-endpoint',
        'http://127.0.0.1:9/t',
        '--client-id',
        'x',
        '--client-auth',
        'magic',
      ],
      'Invalid option `clientAuth`: is not a client authentication method; use one of client_secret_basic',
    ],
    [
      [
        'token',
        '--token-endpoint',
        'http://127.0.0.1:9/t',
        '--client-id',
        'x',
        '--timeout-ms',
        'soon',
      ],
      'Invalid option `--timeout-ms`: must be a whole number',
    ],
    [
      ['token', '--config', '/nonexistent/forge.yaml'],
      'cannot read /nonexistent/forge.yaml: ENOENT',
    ],
    [
      ['token', '--client-secret-file', '/nonexistent/secret'],
      'Invalid option `--client-secret-file`',
    ],
    [['token', 'extra'], 'unexpected argument "extra"'],
    [
      [
        'token',
        '--token-endpoint',
        'http://127.0.0.1:9/t',
        '--grant',
        'password',
        '--client-id',
        'x',
        '--client-auth',
        'none',
      ],
      'Invalid option `username`',
    ],
    [
      [
        'token',
        '--token-endpoint',
        'http://127.0.0.1:9/t',
        '--grant',
        'token_exchange',
        '--client-id',
        'x',
        '--client-auth',
        'none',
      ],
      'Invalid option `subjectToken`: is required for token_exchange (set it with --subject-token-file, FORGE_SUBJECT_TOKEN',
    ],
    [
      ['token', '--token-endpoint', 'http://127.0.0.1:9/t', '--grant', 'jwt_bearer'],
      'Invalid option `assertion`',
    ],
    [
      ['token', '--token-endpoint', 'http://127.0.0.1:9/t', '--retries', '20'],
      'Invalid option `retries`: must be from 0 to 19',
    ],
    [
      ['token', '--token-endpoint', 'http://127.0.0.1:9/t', '--param', 'novalue'],
      'each parameter must be name=value',
    ],
  ])('%j exits 2 with a ForgeError saying what is wrong', async (argv, message) => {
    const run = await runCli(argv);
    expect(run.code).toBe(ExitCode.Usage);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^forge: \[forge\] \[(cli|core)\] /);
    expect(run.stderr).toContain(message);
  });

  it('names the flags and variables of an option the library refused', async () => {
    const run = await runCli([
      'token',
      '--token-endpoint',
      'http://127.0.0.1:9/t',
      '--client-id',
      'x',
      '--client-auth',
      'client_secret_post',
    ]);
    expect(run.stderr).toContain(
      '--client-secret-file, FORGE_CLIENT_SECRET, FORGE_CLIENT_SECRET_FILE, --client-secret',
    );
  });

  it('refuses unknown config keys and unreadable YAML without quoting the file', async () => {
    const unknown = await runCli([
      'token',
      '--config',
      files.file('bad.yaml', 'clientSecrett: s3cr3t-value\n'),
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('`clientSecrett`: is not an option of a config file');
    const broken = await runCli([
      'token',
      '--config',
      files.file('broken.yaml', 'clientSecret: "s3cr3t-value\n  : ['),
    ]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('is not valid YAML');
    expect(broken.stderr).not.toContain('s3cr3t-value');
  });

  it('--json errors are one JSON document on stdout with the exit code', async () => {
    const run = await runCli(['token', '--json', '--client-id', 'x']);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      exitCode: 2,
      error: { name: 'ConfigurationError', code: 'FORGE_CONFIGURATION' },
    });
  });

  it('a refused request exits 1 and points at forge doctor; an unreachable server exits 3; a failing one 4', async () => {
    const refused = await runCli(['token', ...basic()], {
      FORGE_CLIENT_SECRET: 'wrong-secret-value',
    });
    expect(refused.code).toBe(ExitCode.Failed);
    expect(refused.stderr).toContain('invalid_client');
    expect(refused.stderr).toContain('Run `forge doctor` with the same options');
    expect(refused.stderr).not.toContain('wrong-secret-value');

    const closed = await startServer(() => undefined);
    const url = closed.url;
    await closed.close();
    const unreachable = await runCli(
      ['token', '--token-endpoint', `${url}/token`, '--client-id', 'x', '--retries', '0'],
      { FORGE_CLIENT_SECRET: 'whatever' },
    );
    expect(unreachable.code).toBe(ExitCode.Unreachable);

    auth.faults.set({ mode: 'status503', times: 1 });
    const failing = await runCli(['token', ...basic(), '--retries', '0'], secretEnv());
    expect(failing.code).toBe(ExitCode.Unavailable);
  });

  it('--help and --version exit 0; no command exits 2 with the help on stderr', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: forge <command>');
    expect(help.stdout).toContain('--client-secret-file');
    expect((await runCli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: forge <command>');
  });
});

// `forge doctor` against the testkit server, with its fault switches and a
// front server on loopback for what the testkit cannot do itself (a skewed
// Date, a redirect, another issuer): each diagnosis, its fix and its exit code.
import { type AuthServer, startAuthServer } from '@forge/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/index.js';
import { runCli, startFront, startServer } from './support.js';

let auth: AuthServer;
beforeAll(async () => {
  auth = await startAuthServer();
  await auth.registerClient({
    client_id: 'jwt-only',
    client_secret: 'jwt-only-secret-value-0123456789-abcdefghijklmnopqrstuvwxyz',
    token_endpoint_auth_method: 'client_secret_jwt',
  });
});
afterEach(() => auth.faults.clear());
afterAll(async () => {
  await auth.close();
});

const basic = () => ['doctor', '--issuer', auth.issuer, '--client-id', auth.clients.basic.clientId];
const secretEnv = () => ({ FORGE_CLIENT_SECRET: auth.clients.basic.clientSecret });

interface JsonCheck {
  id: string;
  status: string;
  summary: string;
  fix?: string;
  ms?: number;
}

async function doctorJson(argv: string[], env: Record<string, string>) {
  const run = await runCli([...argv, '--json'], env);
  const report = JSON.parse(run.stdout) as { ok: boolean; exitCode: number; checks: JsonCheck[] };
  const check = (id: string) => report.checks.find((c) => c.id === id);
  return { run, report, check };
}

/** `forge doctor --json` for the testkit's basic client against another token endpoint. */
function doctorBasic(tokenEndpoint: string) {
  return doctorJson(
    ['doctor', '--token-endpoint', tokenEndpoint, '--client-id', auth.clients.basic.clientId],
    secretEnv(),
  );
}

describe('forge doctor: a healthy setup', () => {
  it('times discovery and the token request, checks the clock, exits 0', async () => {
    const run = await runCli(basic(), secretEnv());
    expect(run.code).toBe(ExitCode.Ok);
    expect(run.stdout).toMatch(
      /^\[ok\] {3}configuration: "basic-client": client_credentials grant, client_secret_basic/m,
    );
    expect(run.stdout).toMatch(
      new RegExp(
        `^\\[ok\\] {3}discovery \\(\\d+ ms\\): Discovery found the token endpoint ${auth.tokenEndpoint}`,
        'm',
      ),
    );
    expect(run.stdout).toMatch(
      /^\[ok\] {3}token-request \(\d+ ms\): The token endpoint issued a Bearer token, expires in 3600 s/m,
    );
    expect(run.stdout).toMatch(/^\[ok\] {3}clock: /m);
    expect(run.stdout).toContain('No problem found.');
    // Plain lines off a terminal: no spinner, no cursor movement.
    expect(run.stderr).toBe('');
  });

  it('--json: every check with status and timings', async () => {
    const { run, report } = await doctorJson(basic(), secretEnv());
    expect(run.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ['configuration', 'ok'],
      ['discovery', 'ok'],
      ['token-request', 'ok'],
      ['clock', 'ok'],
    ]);
    expect(report.checks.find((c) => c.id === 'token-request')?.ms).toEqual(expect.any(Number));
  });
});

describe('forge doctor: each diagnosis', () => {
  it('429 with Retry-After: says how long to wait, exits 4', async () => {
    auth.faults.set({ mode: 'status429', retryAfter: '7', times: 1 });
    const { run, check } = await doctorJson(basic(), secretEnv());
    expect(run.code).toBe(ExitCode.Unavailable);
    expect(check('rate-limited')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('HTTP 429, asking to wait 7 s (Retry-After)'),
    });
    expect(check('rate-limited')?.fix).toContain('Retry-After');
  });

  it('429 with an HTTP-date Retry-After', async () => {
    auth.faults.set({
      mode: 'status429',
      retryAfter: new Date(Date.now() + 120_000).toUTCString(),
      times: 1,
    });
    const { check } = await doctorJson(basic(), secretEnv());
    expect(check('rate-limited')?.summary).toMatch(/asking to wait 1[12]\d s \(Retry-After: /);
  });

  it.each(['status500', 'status503'] as const)(
    '%s: the server is failing, exits 4',
    async (mode) => {
      auth.faults.set({ mode, times: 1 });
      const { run, check } = await doctorJson(basic(), secretEnv());
      expect(run.code).toBe(ExitCode.Unavailable);
      expect(check('server-error')?.summary).toContain(`HTTP ${mode.slice(6)}`);
    },
  );

  it('wrong client authentication method: finds the one the server accepts and says how to set it', async () => {
    const { run, check } = await doctorJson(
      ['doctor', '--issuer', auth.issuer, '--client-id', 'jwt-only'],
      { FORGE_CLIENT_SECRET: 'jwt-only-secret-value-0123456789-abcdefghijklmnopqrstuvwxyz' },
    );
    expect(run.code).toBe(ExitCode.Failed);
    expect(check('token-request')?.summary).toContain('invalid_client');
    const auth_ = check('client-auth');
    expect(auth_?.summary).toContain(
      'the server refuses client_secret_basic for this client and accepts client_secret_jwt',
    );
    expect(auth_?.summary).toContain('The server advertises: ');
    expect(auth_?.fix).toContain('--client-auth client_secret_jwt');
    expect(auth_?.fix).toContain('FORGE_CLIENT_AUTH=client_secret_jwt');
  });

  it('a wrong secret: every secret method refused, names the likely causes', async () => {
    const { run, check } = await doctorJson(basic(), {
      FORGE_CLIENT_SECRET: 'not-the-secret-value',
    });
    expect(run.code).toBe(ExitCode.Failed);
    expect(check('client-auth')?.summary).toContain(
      'refuses this client with client_secret_basic, client_secret_post, client_secret_jwt',
    );
    expect(check('client-auth')?.fix).toContain('The client id or secret is wrong');
  });

  it('a skewed server Date: reports how far and which way, with the fix', async () => {
    const front = await startFront(auth.issuer, { skewMs: 10 * 60_000 });
    try {
      const { run, check } = await doctorBasic(`${front.url}/token`);
      // A shared secret signs nothing: a warning, not a failure.
      expect(run.code).toBe(ExitCode.Ok);
      expect(check('clock')).toMatchObject({ status: 'warn' });
      expect(check('clock')?.summary).toMatch(
        /The server's clock is (599|600|601) s ahead of this machine/,
      );
      expect(check('clock')?.fix).toContain('NTP');
      const behind = await startFront(auth.issuer, { skewMs: -90_000 });
      try {
        const late = await doctorBasic(`${behind.url}/token`);
        expect(late.check('clock')?.summary).toMatch(/(89|90|91) s behind this machine/);
      } finally {
        await behind.close();
      }
    } finally {
      await front.close();
    }
  });

  it('a redirect on the token endpoint: names where it points and never follows it', async () => {
    const front = await startFront(auth.issuer, {
      redirects: { '/token': { status: 307, to: auth.tokenEndpoint } },
    });
    try {
      const { run, check } = await doctorBasic(`${front.url}/token`);
      expect(run.code).toBe(ExitCode.Failed);
      const redirect = check('token-endpoint-redirect');
      expect(redirect?.summary).toContain(
        `HTTP 307, a redirect to ${auth.tokenEndpoint} (to another host)`,
      );
      expect(redirect?.fix).toContain(`--token-endpoint ${auth.tokenEndpoint}`);
      expect(
        auth.tokenRequests({ clientId: auth.clients.basic.clientId, status: 200 }),
      ).toBeGreaterThan(0);
    } finally {
      await front.close();
    }
  });

  it('an http to https redirect is named as such', async () => {
    const front = await startFront(auth.issuer, {
      redirects: { '/token': { status: 301, to: 'https://127.0.0.1:1/token' } },
    });
    try {
      const { check } = await doctorJson(
        ['doctor', '--token-endpoint', `${front.url}/token`, '--client-id', 'x'],
        { FORGE_CLIENT_SECRET: 'whatever' },
      );
      expect(check('token-endpoint-redirect')?.summary).toContain('(http: to https:)');
    } finally {
      await front.close();
    }
  });

  it('issuer mismatch: says what the server calls itself, then checks the token endpoint it names', async () => {
    const front = await startFront(auth.issuer);
    try {
      const before = auth.tokenRequests({ clientId: auth.clients.basic.clientId, status: 200 });
      const { run, check } = await doctorJson(
        ['doctor', '--issuer', front.url, '--client-id', auth.clients.basic.clientId],
        secretEnv(),
      );
      expect(run.code).toBe(ExitCode.Failed);
      expect(check('issuer')?.summary).toContain(
        `The server at ${front.url} says its issuer is ${auth.issuer}`,
      );
      expect(check('issuer')?.fix).toContain(`--issuer ${auth.issuer}`);
      expect(check('token-request')?.status).toBe('ok');
      expect(auth.tokenRequests({ clientId: auth.clients.basic.clientId, status: 200 })).toBe(
        before + 1,
      );
    } finally {
      await front.close();
    }
  });

  it('an unreachable host: connection refused, exits 3', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    const { run, check } = await doctorJson(
      ['doctor', '--issuer', closed.url, '--client-id', 'x'],
      { FORGE_CLIENT_SECRET: 'whatever' },
    );
    expect(run.code).toBe(ExitCode.Unreachable);
    expect(check('discovery')?.summary).toContain(
      `${closed.url} refused the connection (nothing listens on that host and port) (ECONNREFUSED)`,
    );
    expect(check('token-request')?.status).toBe('skip');
  });

  it('a port fetch refuses to use: says so instead of "unreachable"', async () => {
    const { run, check } = await doctorJson(
      ['doctor', '--token-endpoint', 'http://127.0.0.1:6000/token', '--client-id', 'x'],
      {
        FORGE_CLIENT_SECRET: 'whatever',
      },
    );
    expect(run.code).toBe(ExitCode.Unreachable);
    expect(check('token-request')?.summary).toContain('fetch refuses to connect to port 6000');
  });

  it('a token endpoint that never answers: timed out after --timeout-ms, exits 3', async () => {
    auth.faults.set({ mode: 'hang' });
    const { run, check } = await doctorJson([...basic(), '--timeout-ms', '300'], secretEnv());
    expect(run.code).toBe(ExitCode.Unreachable);
    expect(check('token-request')?.summary).toContain('did not answer within 300 ms');
  });

  it('a connection reset: exits 3 with the cause', async () => {
    auth.faults.set({ mode: 'reset' });
    const { run, check } = await doctorJson(basic(), secretEnv());
    expect(run.code).toBe(ExitCode.Unreachable);
    expect(check('token-request')?.summary).toMatch(
      /closed the connection without an answer|could not be reached/,
    );
  });

  it.each([
    [{ mode: 'html', status: 200 } as const, 'HTTP 200 with an HTML page'],
    [{ mode: 'malformed-json' } as const, 'that is not valid JSON'],
    [{ mode: 'empty', status: 200 } as const, 'HTTP 200 with an empty body'],
  ])('a non-JSON answer %j: says what came back, exits 1', async (fault, text) => {
    auth.faults.set({ ...fault, times: 1 });
    const { run, check } = await doctorJson(basic(), secretEnv());
    expect(run.code).toBe(ExitCode.Failed);
    expect(check('not-json')?.summary).toContain(text);
  });

  it('an HTML 502 from a gateway: the server is failing, exits 4', async () => {
    auth.faults.set({ mode: 'html', times: 1 });
    const { run, check } = await doctorJson(basic(), secretEnv());
    expect(run.code).toBe(ExitCode.Unavailable);
    expect(check('server-error')?.summary).toContain('HTTP 502 with an HTML page');
  });

  it('a grant the server does not know: the refusal with the library hint', async () => {
    const { run, check } = await doctorJson(
      [...basic(), '--grant', 'urn:example:unknown'],
      secretEnv(),
    );
    expect(run.code).toBe(ExitCode.Failed);
    expect(check('grant-advertised')?.status).toBe('warn');
    expect(check('token-request')?.summary).toContain('unsupported_grant_type');
  });
});

describe('forge doctor: progress and output', () => {
  it('on a terminal, a spinner line is drawn on stderr while a step waits and erased after', async () => {
    auth.faults.set({ mode: 'delay', delayMs: 250, times: 1 });
    const run = await runCli(basic(), secretEnv(), { isTTY: true });
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('token request…');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's erase-line sequence is the point.
    expect(run.stderr).toMatch(/\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] discovery…/);
    expect(run.stderr.endsWith('\r\x1b[2K')).toBe(true);
    // Results stay plain lines on stdout.
    expect(run.stdout).not.toContain('\x1b');
  });

  it('--json on a terminal draws nothing', async () => {
    const run = await runCli([...basic(), '--json'], secretEnv(), { isTTY: true });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).ok).toBe(true);
  });

  it('a usage error exits 2 before anything is sent', async () => {
    const before = auth.tokenRequests();
    const run = await runCli([
      'doctor',
      '--issuer',
      auth.issuer,
      '--client-id',
      'x',
      '--client-auth',
      'client_secret_post',
    ]);
    expect(run.code).toBe(ExitCode.Usage);
    expect(run.stderr).toContain('Invalid option `clientSecret`');
    expect(auth.tokenRequests()).toBe(before);
  });
});

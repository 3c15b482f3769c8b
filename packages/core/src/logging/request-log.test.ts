import { describe, expect, it } from 'vitest';
import type { Sent } from '../adapter/create-adapter.js';
import { ConfigurationError } from '../errors.js';
import { REDACTED, SENSITIVE_KEYS } from '../redact.js';
import { checkLogOptions, createRequestLog } from './request-log.js';
import { recordingLogger } from './test-logger.js';

const S = 'S3cr3tMarker';

const sent = (attempt = 0): Sent => ({
  request: { method: 'GET', url: 'https://api.example/a', headers: {}, attempt },
  authorization: { headers: { authorization: `Bearer ${S}-token` } },
});

describe('createRequestLog', () => {
  it('is undefined without options, so adapters pay nothing', () => {
    expect(createRequestLog(undefined, 'axios')).toBeUndefined();
  });

  it('writes one line per request at a level by status', () => {
    const { lines, logger } = recordingLogger();
    const log = createRequestLog({ logger, level: 'debug' }, 'got')!;
    const startedAt = log.start();
    for (const status of [200, 404, 503]) {
      log.exchange({
        startedAt,
        method: 'get',
        url: 'https://api.example/a',
        status,
        sent: sent(1),
      });
    }
    log.exchange(
      { startedAt, method: 'get', url: 'https://api.example/a' },
      new Error('socket hang up'),
    );
    expect(lines.map((line) => line.level)).toEqual(['debug', 'warn', 'error', 'error']);
    expect(lines[0]?.fields).toMatchObject({
      client: 'got',
      method: 'GET',
      url: 'https://api.example/a',
      status: 200,
      attempt: 1,
      authorized: true,
    });
    expect(lines[0]?.fields.durationMs).toBeTypeOf('number');
    expect(lines[0]?.fields).not.toHaveProperty('requestHeaders');
    expect(lines[0]?.message).toMatch(/^GET https:\/\/api\.example\/a 200 \(/);
    expect(lines[3]?.fields.error).toEqual({ name: 'Error', message: 'socket hang up' });
    expect(lines[3]?.fields.authorized).toBe(false);
  });

  it("redacts every default key and the caller's own in headers, query and bodies", () => {
    const { lines, logger } = recordingLogger();
    const log = createRequestLog(
      { logger, headers: true, bodies: true, sensitiveKeys: ['X-Session'] },
      'ky',
    )!;
    const keys = [...SENSITIVE_KEYS, 'x-session'];
    const query = new URLSearchParams(keys.map((key) => [key, `${S}-q-${key}`]));
    const headers = Object.fromEntries(keys.map((key) => [key, `${S}-h-${key}`]));
    const json = Object.fromEntries(keys.map((key) => [key, `${S}-j-${key}`]));
    const form = new URLSearchParams(keys.map((key) => [key, `${S}-f-${key}`]));
    log.exchange({
      startedAt: log.start(),
      method: 'POST',
      url: `https://user:${S}@api.example/a?${query}&page=2#access_token=${S}`,
      status: 200,
      sent: sent(),
      requestHeaders: {
        ...headers,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'x',
      },
      requestBody: form.toString(),
      responseHeaders: { 'content-type': 'application/json', 'x-echo': `Bearer ${S}-token` },
      responseBody: JSON.stringify({ nested: [json], ok: true, echo: `${S}-token` }),
    });
    const line = JSON.stringify(lines[0]);
    expect(line).not.toContain(S);
    const fields = lines[0]!.fields as Record<string, Record<string, unknown>>;
    expect(fields.url).toContain('page=2');
    expect(fields.requestHeaders?.accept).toBe('x');
    expect(fields.requestHeaders?.['x-session']).toBe(REDACTED);
    expect(fields.requestBody).toContain(`client_secret=${REDACTED}`);
    expect(fields.responseBody).toMatchObject({ ok: true, nested: [{ code: REDACTED }] });
  });

  it('names streams and bytes it does not read, and cuts long text', () => {
    const { lines, logger } = recordingLogger();
    const log = createRequestLog({ logger, bodies: true }, 'fetch')!;
    const startedAt = log.start();
    log.exchange({
      startedAt,
      method: 'PUT',
      url: 'https://api.example/a',
      status: 200,
      requestBody: new ReadableStream(),
      responseHeaders: { 'content-type': 'image/png' },
      responseBody: new Uint8Array(3),
    });
    log.exchange({
      startedAt,
      method: 'PUT',
      url: 'https://api.example/a',
      status: 200,
      requestBody: 'x'.repeat(10_000),
    });
    expect(lines[0]?.fields).toMatchObject({ requestBody: '[stream]', responseBody: '[3 bytes]' });
    expect(String(lines[1]?.fields.requestBody)).toMatch(/… \(10000 chars\)$/);
  });

  it("reads a fetch Response body from a clone, leaving the caller's whole", async () => {
    const { lines, logger } = recordingLogger();
    const log = createRequestLog({ logger, bodies: true }, 'fetch')!;
    const response = new Response(JSON.stringify({ refresh_token: S, id: 7 }), {
      headers: { 'content-type': 'application/json' },
    });
    log.exchange({
      startedAt: log.start(),
      method: 'GET',
      url: 'https://api.example/a',
      status: 200,
      responseHeaders: response.headers,
      responseBody: response,
    });
    expect(await response.json()).toEqual({ refresh_token: S, id: 7 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(lines[0]?.fields.responseBody).toEqual({ refresh_token: REDACTED, id: 7 });
  });

  it('skips lines a logger would drop, and survives a logger that throws', () => {
    let built = 0;
    const quiet = {
      ...recordingLogger().logger,
      info: () => {
        built++;
      },
      isLevelEnabled: (level: string) => level !== 'info',
    };
    const log = createRequestLog({ logger: quiet }, 'axios')!;
    log.exchange({ startedAt: log.start(), method: 'GET', url: 'https://a.example/', status: 200 });
    expect(built).toBe(0);
    const throwing = {
      ...recordingLogger().logger,
      warn: () => {
        throw new Error('disk full');
      },
    };
    const failing = createRequestLog({ logger: throwing }, 'axios')!;
    expect(() =>
      failing.exchange({ startedAt: 0, method: 'GET', url: 'https://a.example/', status: 404 }),
    ).not.toThrow();
  });

  it('writes message first to a Nest-style logger (log for info)', () => {
    const calls: unknown[][] = [];
    const nest = {
      log: (...args: unknown[]) => calls.push(['log', ...args]),
      warn: (...args: unknown[]) => calls.push(['warn', ...args]),
      error: (...args: unknown[]) => calls.push(['error', ...args]),
    };
    const log = createRequestLog({ logger: nest, level: 'debug' }, 'nest')!;
    log.exchange({ startedAt: log.start(), method: 'GET', url: 'https://a.example/', status: 200 });
    log.exchange({ startedAt: log.start(), method: 'GET', url: 'https://a.example/', status: 401 });
    expect(calls[0]?.[0]).toBe('log');
    expect(calls[0]?.[1]).toMatch(/^GET https:\/\/a\.example\/ 200/);
    expect(calls[0]?.[2]).toMatchObject({ status: 200 });
    expect(calls[1]?.[0]).toBe('warn');
  });
});

describe('checkLogOptions', () => {
  it.each([
    [null, 'log'],
    [{}, 'log.logger'],
    [{ logger: {} }, 'log.logger'],
    [{ logger: console, headers: 'yes' }, 'log.headers'],
    [{ logger: console, bodies: 1 }, 'log.bodies'],
    [{ logger: console, sensitiveKeys: 'x' }, 'log.sensitiveKeys'],
    [{ logger: console, sensitiveKeys: [''] }, 'log.sensitiveKeys'],
    [{ logger: console, level: 'trace' }, 'log.level'],
    [{ logger: console, redact: [] }, 'log.redact'],
  ])('refuses %o naming %s', (value, option) => {
    let error: unknown;
    try {
      checkLogOptions(value, 'axios');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).option).toBe(option);
    expect((error as Error).message).toMatch(/^\[forge\] \[axios\]/);
  });

  it('accepts console and undefined', () => {
    expect(checkLogOptions(undefined, 'axios')).toBeUndefined();
    expect(checkLogOptions({ logger: console }, 'axios')).toEqual({ logger: console });
  });
});

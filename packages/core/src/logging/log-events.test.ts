import { describe, expect, it } from 'vitest';
import {
  AuthenticationError,
  ConfigurationError,
  ForgeErrorCode,
  StorageError,
} from '../errors.js';
import { Emitter, type TokenManagerEvents } from '../manager/events.js';
import { logEvents } from './log-events.js';
import { recordingLogger } from './test-logger.js';

function source() {
  const emitter = new Emitter<TokenManagerEvents>();
  return { emitter, manager: { on: emitter.on.bind(emitter) } };
}

describe('logEvents', () => {
  it('logs each event at its level, without a token', () => {
    const { emitter, manager } = source();
    const { lines, logger } = recordingLogger();
    const stop = logEvents(manager, logger);
    const expiresAt = new Date('2030-01-01T00:00:00Z');
    emitter.emit('fetched', {
      serviceName: 'billing',
      key: 'k',
      durationMs: 12,
      expiresAt,
      flight: 1,
      reason: 'missing' as const,
      attempts: 1,
    });
    emitter.emit('refreshed', {
      serviceName: 'billing',
      key: 'k',
      durationMs: 3,
      expiresAt,
      flight: 1,
      reason: 'missing' as const,
      attempts: 1,
    });
    emitter.emit('invalidated', { serviceName: 'billing', key: 'k', cause: 'rejected' });
    emitter.emit('storageError', {
      serviceName: 'billing',
      key: 'k',
      operation: 'get',
      error: new StorageError('get', 'redis down'),
    });
    emitter.emit('failed', {
      serviceName: 'billing',
      key: 'k',
      durationMs: 5,
      flight: 1,
      reason: 'missing' as const,
      attempts: 1,
      failures: 1,
      backingOffUntil: undefined,
      error: new AuthenticationError('[forge] token endpoint refused: invalid_client', {
        serviceName: 'billing',
        status: 401,
        error: 'invalid_client',
      }),
    });
    expect(lines.map((line) => [line.fields.event, line.level])).toEqual([
      ['fetched', 'info'],
      ['refreshed', 'debug'],
      ['invalidated', 'info'],
      ['storageError', 'warn'],
      ['failed', 'error'],
    ]);
    expect(lines[0]?.fields).toEqual({
      event: 'fetched',
      serviceName: 'billing',
      key: 'k',
      durationMs: 12,
      expiresAt: '2030-01-01T00:00:00.000Z',
    });
    expect(lines[4]?.fields.error).toMatchObject({
      code: ForgeErrorCode.Authentication,
      oauthError: 'invalid_client',
      status: 401,
    });
    stop();
    emitter.emit('invalidated', { serviceName: 'billing', key: 'k', cause: 'rejected' });
    expect(lines).toHaveLength(5);
  });

  it('takes other levels, and false to leave an event out', () => {
    const { emitter, manager } = source();
    const { lines, logger } = recordingLogger();
    logEvents(manager, logger, { refreshed: 'info', invalidated: false });
    emitter.emit('refreshed', {
      serviceName: 's',
      key: 'k',
      durationMs: 1,
      expiresAt: undefined,
      flight: 1,
      reason: 'missing' as const,
      attempts: 1,
    });
    emitter.emit('invalidated', { serviceName: 's', key: 'k', cause: 'rejected' });
    expect(lines.map((line) => line.level)).toEqual(['info']);
  });

  it('validates its arguments', () => {
    expect(() => logEvents({} as never, console)).toThrow(ConfigurationError);
    expect(() => logEvents(source().manager, {} as never)).toThrow(/logger/);
  });
});

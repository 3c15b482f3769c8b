// The suites themselves run against every Forge storage and adapter (core,
// storage-redis, axios, got, ky, fetch, express); here, their argument checks.
import { ConfigurationError, InMemoryTokenStorage } from '@forge/core';
import { describe, expect, it } from 'vitest';
import { runAdapterContract, runStorageConformance } from '../src/conformance.js';

const optionOf = (run: () => void): string | undefined => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigurationError) return error.option;
    throw error;
  }
  return undefined;
};

describe('runStorageConformance() arguments', () => {
  const factory = () => new InMemoryTokenStorage();

  it('rejects a missing name or factory', () => {
    expect(optionOf(() => runStorageConformance('', factory))).toBe('name');
    expect(optionOf(() => runStorageConformance('S', undefined as never))).toBe('factory');
  });

  it('rejects subscribe without a peer: notifications are about other instances', () => {
    expect(optionOf(() => runStorageConformance('S', factory, { subscribe: true }))).toBe('peer');
  });

  it.each([
    ['lock', { lock: 'yes' }],
    ['peer', { peer: 'other' }],
    ['advanceTime', { advanceTime: 100 }],
    ['ttlMs', { ttlMs: 0 }],
    ['notificationTimeoutMs', { notificationTimeoutMs: Number.NaN }],
    ['options', 'fast'],
  ])('names %s', (option, options) => {
    expect(optionOf(() => runStorageConformance('S', factory, options as never))).toBe(option);
  });

  it('says so in the [forge] [testkit] voice', () => {
    expect(() => runStorageConformance('S', factory, { ttlMs: -1 })).toThrow(
      /^\[forge\] \[testkit\] Invalid option `ttlMs`/,
    );
  });
});

describe('runAdapterContract() arguments', () => {
  const binding = { name: 'c', replaysStreamBodies: false, makeClient: () => ({}) as never };

  it.each([
    ['binding', undefined],
    ['binding.name', { ...binding, name: ' ' }],
    ['binding.makeClient', { ...binding, makeClient: undefined }],
    ['binding.replaysStreamBodies', { ...binding, replaysStreamBodies: 'no' }],
    ['binding.acceptsAuthorizer', { ...binding, acceptsAuthorizer: 1 }],
    ['binding.answersStreamUnauthorized', { ...binding, answersStreamUnauthorized: 'yes' }],
    ['binding.requestError', { ...binding, requestError: 'cause' }],
    ['binding.optionName', { ...binding, optionName: {} }],
  ])('names %s', (option, given) => {
    expect(optionOf(() => runAdapterContract(given as never))).toBe(option);
  });
});

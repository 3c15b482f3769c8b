import { describe, expect, it, vi } from 'vitest';
import {
  AuthenticationError,
  ConfigurationError,
  ForgeError,
  ForgeErrorCode,
  isForgeError,
  TokenEndpointError,
} from './errors.js';

// What a second copy of @forge/core (the other build, another version) defines:
// classes of the same names, built the same way, but not the same objects.
async function otherCopy(): Promise<typeof import('./errors.js')> {
  vi.resetModules();
  return import('./errors.js');
}

describe('errors across copies of Forge', () => {
  it('instanceof holds for the same class and its parents, from another copy', async () => {
    const copy = await otherCopy();
    expect(copy.ForgeError).not.toBe(ForgeError);
    const foreign = new copy.AuthenticationError('refused', { serviceName: 'api' });
    expect(foreign instanceof ForgeError).toBe(true);
    expect(foreign instanceof AuthenticationError).toBe(true);
    expect(foreign instanceof TokenEndpointError).toBe(false);
    expect(foreign instanceof ConfigurationError).toBe(false);
    expect(new ConfigurationError('x', 'bad') instanceof copy.ForgeError).toBe(true);
    expect(new Error('plain') instanceof ForgeError).toBe(false);
  });

  it('isForgeError answers the same, and can require a code', async () => {
    const copy = await otherCopy();
    const foreign = new copy.TokenEndpointError('down', { serviceName: 'api', reason: 'network' });
    expect(isForgeError(foreign)).toBe(true);
    expect(isForgeError(foreign, ForgeErrorCode.TokenEndpoint)).toBe(true);
    expect(isForgeError(foreign, ForgeErrorCode.Authentication)).toBe(false);
    expect(isForgeError({ code: 'FORGE_REQUEST', message: 'fake' })).toBe(false);
    expect(isForgeError(undefined)).toBe(false);
  });
});

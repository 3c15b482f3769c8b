import { afterEach, beforeEach, vi } from 'vitest';
import { AuthenticationError } from '../errors.js';
import type { TokenProvider, TokenRequestContext } from '../provider.js';
import type { TokenLock, TokenStorage } from '../storage.js';
import { Token } from '../token.js';

/** A secret-looking marker: tests assert it never leaks into messages, events or inspect output. */
export const SECRET = 'S3CRET-MARKER-7f3a';

/**
 * A provider for the manager's own tests: counts calls, can be held open
 * (`hold()`), made to fail, and issues tokens whose credentials contain
 * {@link SECRET}.
 */
export class TestProvider<TInput = void> implements TokenProvider<TInput> {
  readonly serviceName: string;
  fetchCalls = 0;
  refreshCalls = 0;
  lifetimeMs: number | undefined = 3_600_000;
  withRefreshToken = false;
  fetchError: unknown;
  refreshError: unknown;
  readonly inputs: TInput[] = [];
  readonly contexts: TokenRequestContext[] = [];
  readonly refreshedFrom: Token[] = [];
  #gate: Promise<void> | undefined;

  constructor(serviceName = 'billing-api') {
    this.serviceName = serviceName;
  }

  /** Makes provider calls wait until the returned function is called. */
  hold(): () => void {
    let open!: () => void;
    this.#gate = new Promise((resolve) => {
      open = resolve;
    });
    return () => {
      this.#gate = undefined;
      open();
    };
  }

  async fetchToken(input: TInput, context: TokenRequestContext): Promise<Token> {
    this.fetchCalls += 1;
    const n = this.fetchCalls + this.refreshCalls;
    if (this.inputs.length < 100) this.inputs.push(input);
    if (this.contexts.length < 100) this.contexts.push(context);
    await this.#gate;
    if (this.fetchError !== undefined) throw this.fetchError;
    return this.#issue(`fetched-${n}`);
  }

  async refreshToken(current: Token, _input: TInput, context: TokenRequestContext): Promise<Token> {
    this.refreshCalls += 1;
    const n = this.fetchCalls + this.refreshCalls;
    this.refreshedFrom.push(current);
    if (this.contexts.length < 100) this.contexts.push(context);
    await this.#gate;
    if (this.refreshError !== undefined) throw this.refreshError;
    return this.#issue(`refreshed-${n}`);
  }

  get calls(): number {
    return this.fetchCalls + this.refreshCalls;
  }

  #issue(label: string): Token {
    return new Token({
      accessToken: `${SECRET}-at-${label}`,
      expiresAt: this.lifetimeMs === undefined ? undefined : Date.now() + this.lifetimeMs,
      refreshToken: this.withRefreshToken ? `${SECRET}-rt-${label}` : undefined,
      scope: 'read',
    });
  }
}

/** An `invalid_grant` refusal, as a revoked refresh token produces. */
export function invalidGrant(serviceName = 'billing-api'): AuthenticationError {
  return new AuthenticationError('The refresh token was rejected.', {
    serviceName,
    status: 400,
    error: 'invalid_grant',
  });
}

/**
 * A storage shared by several managers, standing in for processes that share
 * Redis: asynchronous answers, a lock with an owner, and change notifications
 * to every subscriber (the writer included, as pub/sub does).
 */
export class SharedStorage implements TokenStorage {
  readonly entries = new Map<string, Token>();
  readonly locks = new Set<string>();
  readonly listeners = new Set<(key: string) => void>();
  lockCalls = 0;
  releases = 0;

  async get(key: string): Promise<Token | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, token: Token): Promise<void> {
    this.entries.set(key, token);
    this.notify(key);
  }

  async delete(key: string, expected?: Token): Promise<void> {
    const held = this.entries.get(key);
    if (expected !== undefined && held?.accessToken !== expected.accessToken) return;
    this.entries.delete(key);
    this.notify(key);
  }

  async has(key: string): Promise<boolean> {
    return this.entries.has(key);
  }

  async lock(key: string): Promise<TokenLock | undefined> {
    this.lockCalls += 1;
    if (this.locks.has(key)) return undefined;
    this.locks.add(key);
    return {
      release: async () => {
        this.releases += 1;
        this.locks.delete(key);
      },
    };
  }

  subscribe(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(key: string): void {
    for (const listener of this.listeners) listener(key);
  }
}

/** Lets pending promise callbacks run (no timers involved). */
export async function flush(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/**
 * Fake timers from a fixed instant for each test of the calling file, and
 * every manager passed to the returned `track` closed after it.
 */
export function useTrackedManagers(): <T extends { close(): Promise<void> }>(manager: T) => T {
  let managers: { close(): Promise<void> }[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(async () => {
    for (const manager of managers) await manager.close();
    managers = [];
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
  return (manager) => {
    managers.push(manager);
    return manager;
  };
}

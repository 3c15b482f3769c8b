import { ConfigurationError } from '@forge/core';

const PACKAGE = { package: 'testkit' } as const;

/** A `ConfigurationError` of the conformance suites: `[forge] [testkit] Invalid option …`. */
export function invalid(option: string, problem: string): ConfigurationError {
  return new ConfigurationError(option, problem, PACKAGE);
}

/** The options object itself: `undefined` is none, anything else must be a plain object. */
export function optionsObject(value: unknown, option: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(option, 'must be an options object');
  }
  return value as Record<string, unknown>;
}

export function checkName(value: unknown, option: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(option, 'must be a non-empty string naming the implementation in test titles');
  }
}

export function checkFunction(value: unknown, option: string, hint: string): void {
  if (value !== undefined && typeof value !== 'function') throw invalid(option, hint);
}

export function checkBoolean(value: unknown, option: string): void {
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalid(option, 'must be true or false');
  }
}

export function checkDuration(value: unknown, option: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalid(option, 'must be a number of milliseconds > 0');
  }
}

/** Polls `check` every 10 ms until it holds; fails after `timeoutMs`, naming what did not happen. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

import type { BackoffOptions } from './options.js';

/**
 * Delay before retry number `attempt` (1-based): exponential growth from
 * `baseMs`, capped at `maxMs`, with full jitter so a fleet of processes that
 * failed together does not retry together.
 */
export function backoffDelay(
  attempt: number,
  { baseMs, maxMs }: Required<BackoffOptions>,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}

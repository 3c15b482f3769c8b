import { TestkitError } from '../shared/errors.js';

/**
 * How the token endpoint misbehaves while a fault is set:
 * - `status500`: 500 with a JSON `server_error` body.
 * - `status503`: 503 with a JSON `temporarily_unavailable` body.
 * - `status429`: 429 with a JSON `slow_down` body (and `Retry-After` when given).
 * - `hang`: accepts the request and never answers (until the client gives up or the server closes).
 * - `malformed-json`: 200 `application/json` whose body is cut off mid-object.
 * - `html`: an HTML error page (`text/html`), status 502 unless `status` says otherwise.
 * - `reset`: the TCP connection is reset without any response.
 * - `empty`: an empty body, status 500 unless `status` says otherwise.
 * - `delay`: the real endpoint answers, but only after `delayMs` (for in-flight and timeout tests).
 *
 * @example
 * ```ts
 * const mode: FaultMode = 'status429';
 * auth.faults.set({ mode, retryAfter: '1', times: 2 });
 * ```
 */
export type FaultMode =
  | 'status500'
  | 'status503'
  | 'status429'
  | 'hang'
  | 'malformed-json'
  | 'html'
  | 'reset'
  | 'empty'
  | 'delay';

/**
 * A fault to switch on with `auth.faults.set()`.
 *
 * @example
 * ```ts
 * const fault: FaultOptions = { mode: 'status500', times: 1 };
 * auth.faults.set(fault); // the next token request gets a 500, the one after it a token
 * ```
 */
export interface FaultOptions {
  readonly mode: FaultMode;
  /** Sent as the `Retry-After` header: seconds (`"2"`) or an HTTP date. Any mode that answers. */
  readonly retryAfter?: string;
  /** Fault only this many token requests, then clear by itself. Default: until `clear()`. */
  readonly times?: number;
  /** HTTP status for `html`, `empty` and `malformed-json` (defaults 502, 500 and 200). */
  readonly status?: number;
  /** How long `delay` holds each request before the real endpoint answers, in ms. Required for `delay`. */
  readonly delayMs?: number;
}

/**
 * The fault switch of one authorization server's token endpoint (`auth.faults`).
 *
 * @example
 * ```ts
 * auth.faults.set({ mode: 'hang' });
 * // … assert that your client times out …
 * auth.faults.clear();
 * ```
 */
export interface FaultSwitch {
  /** Makes the token endpoint misbehave from the next request on, replacing any fault already set. */
  set(fault: FaultOptions): void;
  /** Back to normal. Requests already hanging stay hung until their client gives up. */
  clear(): void;
  /** The fault in force, with `times` counting down, or `undefined`. */
  readonly active: Readonly<FaultOptions> | undefined;
}

const MODES: ReadonlySet<string> = new Set<FaultMode>([
  'status500',
  'status503',
  'status429',
  'hang',
  'malformed-json',
  'html',
  'reset',
  'empty',
  'delay',
]);

function validateFault(fault: FaultOptions): FaultOptions {
  if (typeof fault !== 'object' || fault === null || !MODES.has(fault.mode)) {
    throw new TestkitError(`must be one of ${[...MODES].join(', ')}`, 'faults.set({ mode })');
  }
  if (fault.times !== undefined && (!Number.isSafeInteger(fault.times) || fault.times < 1)) {
    throw new TestkitError('must be a positive whole number', 'faults.set({ times })');
  }
  if (fault.retryAfter !== undefined) {
    const valid =
      typeof fault.retryAfter === 'string' &&
      (/^\d+$/.test(fault.retryAfter) || !Number.isNaN(Date.parse(fault.retryAfter)));
    if (!valid) {
      throw new TestkitError(
        'must be a number of seconds ("2") or an HTTP date (new Date(...).toUTCString())',
        'faults.set({ retryAfter })',
      );
    }
  }
  if (
    fault.status !== undefined &&
    (!Number.isInteger(fault.status) || fault.status < 200 || fault.status > 599)
  ) {
    throw new TestkitError('must be an HTTP status between 200 and 599', 'faults.set({ status })');
  }
  if (
    fault.mode === 'delay' &&
    (typeof fault.delayMs !== 'number' || !Number.isFinite(fault.delayMs) || fault.delayMs < 0)
  ) {
    throw new TestkitError(
      'is required for mode "delay": a number of milliseconds, 0 or more',
      'faults.set({ delayMs })',
    );
  }
  return { ...fault };
}

/** The switch plus the server-side half that takes one fault per request. */
export interface FaultController extends FaultSwitch {
  /** The fault to apply to this request, counting `times` down; `undefined` when none. */
  take(): FaultOptions | undefined;
}

export function createFaultSwitch(): FaultController {
  let active: FaultOptions | undefined;
  let remaining = Number.POSITIVE_INFINITY;
  return {
    set(fault) {
      active = validateFault(fault);
      remaining = fault.times ?? Number.POSITIVE_INFINITY;
    },
    clear() {
      active = undefined;
    },
    get active() {
      if (!active) return undefined;
      return Number.isFinite(remaining) ? { ...active, times: remaining } : { ...active };
    },
    take() {
      if (!active) return undefined;
      const fault = active;
      remaining -= 1;
      if (remaining <= 0) active = undefined;
      return fault;
    },
  };
}

import { TokenEndpointError } from '../errors.js';
import { redact, redactUrl } from '../redact.js';
import { anySignal, sleep, TimeoutReason, timeoutSignal } from './abort.js';
import { fullJitterDelay, parseRetryAfter } from './backoff.js';
import type { ResolvedTransport } from './options.js';
import { readLimitedText } from './read-body.js';

/** One POST to a token endpoint. */
export interface FormRequest {
  readonly serviceName: string;
  readonly url: string;
  readonly body: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  /** Aborts every attempt and wait (the manager's `context.signal`). */
  readonly signal?: AbortSignal | undefined;
  /** Values to scrub from any message built from server or network text. */
  readonly secrets?: readonly (string | undefined)[];
  /** Told about each attempt once it ends (for telemetry); must not throw. */
  readonly onAttempt?: ((outcome: AttemptOutcome) => void) | undefined;
  /**
   * Builds the body, headers and secrets of a retry afresh: a client
   * assertion's or a DPoP proof's `jti` may be used once only, so a retry
   * after a 5xx, a 429 or a network error must not send the same one again.
   */
  readonly renew?: (() => Promise<FormCredentials>) | undefined;
}

/** What {@link FormRequest.renew} builds for one attempt. */
export interface FormCredentials {
  readonly body: URLSearchParams;
  readonly headers: Readonly<Record<string, string>>;
  readonly secrets?: readonly (string | undefined)[];
}

/** How one attempt ended, without any body, header or credential. */
export interface AttemptOutcome {
  readonly attempt: number;
  readonly status: number | undefined;
  readonly errorReason: string | undefined;
  readonly startedAt: number;
  readonly durationMs: number;
}

/** The answer that ended the retries: a success or a non-retryable status. */
export interface FormResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  /** Local clock when the body was read: the base for `expires_in`. */
  readonly receivedAt: number;
}

type Failure = { readonly error: TokenEndpointError };

const RETRYABLE_STATUS = (status: number): boolean => status === 429 || status >= 500;

/**
 * Sends a form-encoded POST with a timeout per attempt, retrying network
 * errors, timeouts, 5xx and 429 with full-jitter backoff (or the server's
 * `Retry-After`, capped at `maxRetryAfterMs`), bounded in attempts and total
 * time. Resolves with the first answer that is not retryable; rejects with a
 * `TokenEndpointError` otherwise. A body over `maxResponseBytes` ends the
 * request at once (`malformed`): a server that sends one is not asked again.
 */
export async function postForm(
  request: FormRequest,
  transport: ResolvedTransport,
): Promise<FormResponse> {
  const started = Date.now();
  const deadline = started + transport.maxTotalMs;
  const doFetch = transport.fetch ?? globalThis.fetch;
  let failure: Failure | undefined;
  let current = request;
  for (let attempt = 1; attempt <= transport.maxAttempts; attempt++) {
    if (attempt > 1 && failure) {
      const delay =
        failure.error.retryAfterMs ??
        fullJitterDelay(attempt - 1, transport.baseDelayMs, transport.maxDelayMs);
      if (Date.now() + delay >= deadline) break;
      try {
        await sleep(delay, request.signal);
      } catch (reason) {
        throw aborted(request, reason);
      }
    }
    if (request.signal?.aborted) throw aborted(request, request.signal.reason);
    if (attempt > 1 && request.renew !== undefined) {
      current = { ...request, ...(await request.renew()) };
    }
    const timeoutMs = Math.max(1, Math.min(transport.timeoutMs, deadline - Date.now()));
    const attemptStarted = Date.now();
    const outcome = await attemptOnce(doFetch, current, timeoutMs, transport);
    if (request.onAttempt !== undefined)
      report(request.onAttempt, attempt, attemptStarted, outcome);
    if ('status' in outcome) return outcome;
    if (outcome.error.reason === 'aborted' || outcome.error.reason === 'malformed') {
      throw outcome.error;
    }
    failure = outcome;
  }
  // maxAttempts >= 1, so at least one attempt failed to get here.
  throw (failure as Failure).error;
}

function report(
  onAttempt: (outcome: AttemptOutcome) => void,
  attempt: number,
  startedAt: number,
  outcome: FormResponse | Failure,
): void {
  const answered = 'status' in outcome;
  try {
    onAttempt({
      attempt,
      status: answered ? outcome.status : outcome.error.status,
      errorReason: answered ? undefined : outcome.error.reason,
      startedAt,
      durationMs: Date.now() - startedAt,
    });
  } catch {
    // Telemetry must never fail a token request.
  }
}

async function attemptOnce(
  doFetch: typeof fetch,
  request: FormRequest,
  timeoutMs: number,
  transport: ResolvedTransport,
): Promise<FormResponse | Failure> {
  const timeout = timeoutSignal(timeoutMs);
  const combined = request.signal ? anySignal([request.signal, timeout.signal]) : undefined;
  const signal = combined?.signal ?? timeout.signal;
  try {
    const response = await doFetch(request.url, {
      method: 'POST',
      headers: {
        accept: 'application/json',
        'content-type': 'application/x-www-form-urlencoded;charset=UTF-8',
        ...request.headers,
      },
      body: request.body.toString(),
      redirect: 'manual',
      signal,
    });
    if (!RETRYABLE_STATUS(response.status)) {
      const body = await readLimitedText(response, transport.maxResponseBytes);
      const receivedAt = Date.now();
      if (body === undefined) return { error: tooLarge(request, response.status, transport) };
      return { status: response.status, headers: response.headers, body, receivedAt };
    }
    // The body of a retried answer is never used: drop it rather than read it.
    response.body?.cancel().catch(() => undefined);
    const rateLimited = response.status === 429;
    const asked = parseRetryAfter(response.headers.get('retry-after'));
    const retryAfterMs =
      asked === undefined ? undefined : Math.min(asked, transport.maxRetryAfterMs);
    return {
      error: new TokenEndpointError(
        `Token endpoint ${redactUrl(request.url)} answered HTTP ${response.status} for "${request.serviceName}"${
          rateLimited ? ' (rate limited)' : ''
        }. ${rateLimited ? 'Lower the request rate or raise `retry.maxTotalMs`.' : 'The authorization server is failing; the request is retried on the next call.'}`,
        {
          serviceName: request.serviceName,
          status: response.status,
          reason: rateLimited ? 'rate-limited' : 'server',
          retryAfterMs,
        },
      ),
    };
  } catch (reason) {
    if (request.signal?.aborted) return { error: aborted(request, request.signal.reason) };
    if (timeout.signal.aborted || reason instanceof TimeoutReason) {
      return {
        error: new TokenEndpointError(
          `Token endpoint ${redactUrl(request.url)} did not answer "${request.serviceName}" within ${timeoutMs} ms. Check the server, or raise \`timeoutMs\`.`,
          { serviceName: request.serviceName, reason: 'timeout', cause: reason },
        ),
      };
    }
    return {
      error: new TokenEndpointError(
        `Token endpoint ${redactUrl(request.url)} is unreachable for "${request.serviceName}": ${redact(
          describe(reason),
          request.secrets,
        )}. Check the URL and the network.`,
        { serviceName: request.serviceName, reason: 'network', cause: reason },
      ),
    };
  } finally {
    timeout.clear();
    combined?.dispose();
  }
}

function tooLarge(
  request: FormRequest,
  status: number,
  transport: ResolvedTransport,
): TokenEndpointError {
  return new TokenEndpointError(
    `Token endpoint ${redactUrl(request.url)} answered "${request.serviceName}" with HTTP ${status} and a body larger than ${transport.maxResponseBytes} bytes (\`maxResponseBytes\`); a token response is a few kilobytes. Check that \`tokenEndpoint\` points at the token endpoint, or raise \`maxResponseBytes\`.`,
    { serviceName: request.serviceName, status, reason: 'malformed' },
  );
}

function aborted(request: FormRequest, reason: unknown): TokenEndpointError {
  return new TokenEndpointError(
    `Token request for "${request.serviceName}" was aborted (the token manager was closed or the caller gave up).`,
    { serviceName: request.serviceName, reason: 'aborted', cause: reason },
  );
}

function describe(reason: unknown): string {
  if (!(reason instanceof Error)) return String(reason);
  const cause = reason.cause;
  const code =
    typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
  return code ? `${reason.message} (${code})` : reason.message;
}

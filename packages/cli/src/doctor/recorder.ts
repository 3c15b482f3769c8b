/** How a response body looked, without keeping it. */
export type BodyKind = 'json' | 'invalid-json' | 'html' | 'empty' | 'other';

/** One HTTP exchange as doctor saw it: never a credential, never a token. */
export interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly ms: number;
  /** The local clock when the answer (or the failure) arrived. */
  readonly at: number;
  readonly status?: number;
  readonly date?: string;
  readonly retryAfter?: string;
  readonly location?: string;
  readonly contentType?: string;
  readonly bodyKind?: BodyKind;
  /** The OAuth `error` code of an error answer. */
  readonly oauthError?: string;
  /** A discovery document (public metadata), kept whole for the checks. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** The network error code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, …) when there was no answer. */
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly timedOut?: boolean;
}

const HEADERS = [
  ['date', 'date'],
  ['retry-after', 'retryAfter'],
  ['location', 'location'],
  ['content-type', 'contentType'],
] as const;

function kindOf(contentType: string | undefined, text: string): BodyKind {
  if (text.trim() === '') return 'empty';
  if (/html/i.test(contentType ?? '') || /^\s*<(!doctype|html)/i.test(text)) return 'html';
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? 'json' : 'invalid-json';
  } catch {
    return /json/i.test(contentType ?? '') ? 'invalid-json' : 'other';
  }
}

/** The deepest `code` in an error's cause chain (undici wraps the socket's error). */
export function networkCode(error: unknown): string | undefined {
  let found: string | undefined;
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') found = code;
    current = (current as { cause?: unknown }).cause;
  }
  return found;
}

/** The innermost message of an error's cause chain (`fetch failed` says nothing; its cause does). */
function deepestMessage(error: unknown): string {
  let message = String(error);
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 6; depth++) {
    message = current.message;
    current = current.cause;
  }
  return message;
}

/**
 * A `fetch` that notes what happened on every exchange (timings, status, the
 * headers the checks need, the kind of body) and passes the response on
 * untouched. Token response bodies are read from a clone only to learn their
 * kind and OAuth error code; nothing of them is kept.
 */
export class Recorder {
  readonly exchanges: Exchange[] = [];
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(base: typeof fetch = globalThis.fetch, now: () => number = Date.now) {
    this.#fetch = base;
    this.#now = now;
  }

  readonly fetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = init?.method ?? 'GET';
    const started = performance.now();
    let response: Response;
    try {
      response = await this.#fetch(input, init);
    } catch (error) {
      const code = networkCode(error);
      this.exchanges.push({
        method,
        url,
        ms: performance.now() - started,
        at: this.#now(),
        timedOut: init?.signal?.aborted === true,
        ...(code === undefined ? {} : { errorCode: code }),
        errorMessage: deepestMessage(error),
      });
      throw error;
    }
    const at = this.#now();
    const headers: Pick<Exchange, 'date' | 'retryAfter' | 'location' | 'contentType'> = {};
    for (const [name, field] of HEADERS) {
      const value = response.headers.get(name);
      if (value !== null) (headers as Record<string, string>)[field] = value;
    }
    const base = { method, url, at, status: response.status, ...headers };
    const isRedirect = response.status >= 300 && response.status < 400;
    const readable = !isRedirect && response.status !== 429;
    let text = '';
    if (readable) {
      try {
        text = await response.clone().text();
      } catch {
        // The body failed mid-way; the provider reading its own copy reports that.
      }
    }
    const bodyKind = readable ? kindOf(base.contentType, text) : undefined;
    let parsed: Record<string, unknown> | undefined;
    if (bodyKind === 'json') parsed = JSON.parse(text) as Record<string, unknown>;
    const oauthError =
      typeof parsed?.error === 'string' && /^[\w.-]{1,64}$/.test(parsed.error)
        ? parsed.error
        : undefined;
    this.exchanges.push({
      ...base,
      ms: performance.now() - started,
      ...(bodyKind === undefined ? {} : { bodyKind }),
      ...(oauthError === undefined ? {} : { oauthError }),
      ...(method === 'GET' && parsed !== undefined ? { metadata: parsed } : {}),
    });
    return response;
  };
}

import pg from 'pg';

/** What the listener reports to its storage. @internal */
export interface ListenerEvents {
  /** LISTEN is in place; `again` after a reconnect (changes may have been missed). */
  up(again: boolean): void;
  /** The connection dropped: the in-process copy is no longer kept honest. */
  down(): void;
  message(payload: string): void;
}

const MAX_BACKOFF_MS = 5_000;

/**
 * The one dedicated connection that runs `LISTEN`, outside the pool: a
 * pooled connection goes back to other users after each query, and through
 * PgBouncer in transaction mode a session's LISTEN is lost. It reconnects
 * with backoff for as long as the storage lives; timers are unref'd so they
 * never keep a process alive.
 * @internal
 */
export class Listener {
  readonly #config: pg.ClientConfig;
  readonly #channel: string;
  readonly #timeoutMs: number;
  readonly #events: ListenerEvents;
  #client: pg.Client | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #upOnce = false;
  #stopped = false;

  constructor(config: pg.ClientConfig, channel: string, timeoutMs: number, events: ListenerEvents) {
    this.#config = {
      ...config,
      keepAlive: true,
      connectionTimeoutMillis: Math.max(timeoutMs, 1_000),
    };
    this.#channel = channel;
    this.#timeoutMs = timeoutMs;
    this.#events = events;
    void this.#connect();
  }

  async #connect(): Promise<void> {
    if (this.#stopped) return;
    const client = new pg.Client(this.#config);
    this.#client = client;
    let lost = false;
    const onLost = (): void => {
      if (lost) return;
      lost = true;
      if (this.#client === client) this.#client = undefined;
      client.removeAllListeners('notification');
      client.end().catch(() => {});
      this.#events.down();
      this.#schedule();
    };
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (message) => {
      if (message.channel === this.#channel && typeof message.payload === 'string') {
        this.#events.message(message.payload);
      }
    });
    try {
      await client.connect();
      // query_timeout per query is supported by pg 8 but missing from @types/pg.
      await client.query({
        text: `LISTEN "${this.#channel}"`,
        query_timeout: Math.max(this.#timeoutMs, 1_000),
      } as pg.QueryConfig);
    } catch {
      onLost();
      return;
    }
    if (lost || this.#stopped) {
      if (this.#stopped) client.end().catch(() => {});
      return;
    }
    this.#attempt = 0;
    this.#events.up(this.#upOnce);
    this.#upOnce = true;
  }

  #schedule(): void {
    if (this.#stopped || this.#timer) return;
    const delay = Math.min(100 * 2 ** this.#attempt, MAX_BACKOFF_MS);
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#connect();
    }, delay);
    this.#timer.unref?.();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    client.removeAllListeners('end');
    client.removeAllListeners('notification');
    client.on('error', () => {});
    await Promise.race([
      client.end().catch(() => {}),
      new Promise((resolve) => setTimeout(resolve, this.#timeoutMs).unref?.()),
    ]);
  }
}

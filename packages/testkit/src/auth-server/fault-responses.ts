import type { KoaContextWithOIDC } from 'oidc-provider';
import { readBody } from '../shared/listen.js';
import { claimedClientId, type TokenRequestRecord } from './counters.js';
import type { FaultOptions } from './faults.js';

const HTML_PAGE =
  '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The upstream server returned an invalid response.</p></body></html>';

function jsonError(error: string): string {
  return JSON.stringify({ error, error_description: 'fault injected by @forge/testkit' });
}

/**
 * Answers a token request the way the fault says, instead of oidc-provider. The
 * body is read first so the request is counted against the client it claims,
 * and counted before answering so a hung request shows up while it hangs.
 */
export async function applyFault(
  ctx: KoaContextWithOIDC,
  fault: FaultOptions,
  pending: Set<() => void>,
  record: (entry: TokenRequestRecord) => void,
): Promise<void> {
  let form: Record<string, unknown> = {};
  try {
    form = Object.fromEntries(new URLSearchParams(await readBody(ctx.req)));
  } catch {
    // An unreadable body claims nothing; the fault is applied all the same.
  }
  const base = {
    clientId: claimedClientId(ctx.get('authorization') || undefined, form),
    grantType: typeof form.grant_type === 'string' ? form.grant_type : undefined,
    faulted: true,
  };
  if (fault.mode === 'reset' || fault.mode === 'hang') {
    record({ ...base, status: 0 });
    ctx.respond = false;
    if (fault.mode === 'reset') {
      const socket = ctx.req.socket;
      if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket.destroy();
    } else {
      await new Promise<void>((resolve) => {
        const release = () => {
          pending.delete(release);
          ctx.req.socket.destroy();
          resolve();
        };
        pending.add(release);
        ctx.req.socket.once('close', release);
      });
    }
    return;
  }
  if (fault.retryAfter !== undefined) ctx.set('retry-after', fault.retryAfter);
  ctx.set('cache-control', 'no-store');
  switch (fault.mode) {
    case 'status500':
      ctx.status = 500;
      ctx.type = 'application/json';
      ctx.body = jsonError('server_error');
      break;
    case 'status503':
      ctx.status = 503;
      ctx.type = 'application/json';
      ctx.body = jsonError('temporarily_unavailable');
      break;
    case 'status429':
      ctx.status = 429;
      ctx.type = 'application/json';
      ctx.body = jsonError('slow_down');
      break;
    case 'malformed-json':
      ctx.status = fault.status ?? 200;
      ctx.type = 'application/json';
      ctx.body = '{"access_token":"truncated-by-forge-testkit","token_type":"Bearer","expires_in":';
      break;
    case 'html':
      ctx.status = fault.status ?? 502;
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = HTML_PAGE;
      break;
    case 'delay':
      // Handled before the endpoint runs; never a replaced answer.
      break;
    case 'empty':
      ctx.status = fault.status ?? 500;
      // Koa turns an empty body into 204 unless the status is set after it.
      ctx.body = '';
      ctx.status = fault.status ?? 500;
      ctx.remove('content-type');
      break;
  }
  record({ ...base, status: ctx.status });
}

/** Waits `ms`, or less if the server closes first (so `close()` never waits on a delayed request). */
export function delay(ms: number, pending: Set<() => void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const release = () => {
      clearTimeout(timer);
      pending.delete(release);
      resolve();
    };
    const timer = setTimeout(release, ms);
    pending.add(release);
  });
}

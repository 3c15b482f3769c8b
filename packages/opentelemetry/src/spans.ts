import type { ForgeError, TokenManagerEvents } from '@forge/core';
import {
  type Attributes,
  type Context,
  context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { errorAttributes, serverAttributes } from './attributes.js';
import { ForgeAttribute, ForgeSpan } from './names.js';
import type { ResolvedInstrumentationOptions } from './options.js';
import type { ObservedManager } from './types.js';

interface OpenSpan {
  readonly span: Span;
  readonly context: Context;
  /** Attributes already given to the parent, so each attempt does not set them again. */
  origin: string | undefined;
}

/**
 * One `forge.token.request` span per flight, started in the `started` event.
 * That event is emitted synchronously inside the `getToken()` call that
 * started the flight, so `context.active()` there is the waiting request's
 * context (AsyncLocalStorage carries it in Node): the span becomes its child.
 * A refresh ahead of expiry keeps nobody waiting, so its span starts a trace
 * of its own, linked to the request that triggered it. Each HTTP attempt
 * becomes a `POST` client span under it, with its real start and end times.
 */
export function recordSpans(
  manager: ObservedManager,
  tracer: Tracer,
  options: ResolvedInstrumentationOptions,
): () => void {
  const open = new Map<number, OpenSpan>();
  const service = manager.serviceName;

  const onStarted = (event: TokenManagerEvents['started']): void => {
    const active = context.active();
    const background = event.reason === 'expiring';
    const trigger = trace.getSpanContext(active);
    const links: Link[] = background && trigger !== undefined ? [{ context: trigger }] : [];
    const attributes: Attributes = {
      [ForgeAttribute.Service]: service,
      [ForgeAttribute.Reason]: event.reason,
    };
    if (options.keyAttribute) attributes[ForgeAttribute.Key] = event.key;
    const parent = background ? ROOT_CONTEXT : active;
    const span = tracer.startSpan(
      ForgeSpan.TokenRequest,
      { kind: SpanKind.INTERNAL, attributes, links },
      parent,
    );
    open.set(event.flight, { span, context: trace.setSpan(parent, span), origin: undefined });
  };

  const onAttempt = (event: TokenManagerEvents['attempt']): void => {
    const parent = open.get(event.flight);
    if (parent === undefined) return;
    const server = serverAttributes(event.origin);
    if (parent.origin === undefined) {
      parent.origin = event.origin;
      parent.span.setAttributes({
        [ForgeAttribute.GrantType]: event.grantType,
        [ForgeAttribute.Endpoint]: event.origin,
        ...server,
      });
    }
    if (event.status !== undefined)
      parent.span.setAttribute(ForgeAttribute.HttpStatus, event.status);
    parent.span.setAttribute(ForgeAttribute.RetryCount, event.attempt - 1);
    const attributes: Attributes = {
      [ForgeAttribute.HttpMethod]: 'POST',
      [ForgeAttribute.GrantType]: event.grantType,
      ...server,
    };
    if (event.attempt > 1) attributes[ForgeAttribute.HttpResendCount] = event.attempt - 1;
    if (event.status !== undefined) attributes[ForgeAttribute.HttpStatus] = event.status;
    // The conventions: the status code as error.type for a 4xx/5xx answer, else what went wrong.
    const errorType =
      event.status !== undefined && event.status >= 400 ? String(event.status) : event.errorReason;
    if (errorType !== undefined) attributes[ForgeAttribute.ErrorType] = errorType;
    const span = tracer.startSpan(
      ForgeSpan.Attempt,
      { kind: SpanKind.CLIENT, startTime: event.startedAt, attributes },
      parent.context,
    );
    if (errorType !== undefined) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(event.startedAt + event.durationMs);
  };

  const succeeded = (outcome: string) => (event: { readonly flight: number }) => {
    const entry = open.get(event.flight);
    if (entry === undefined) return;
    open.delete(event.flight);
    entry.span.setAttribute(ForgeAttribute.Outcome, outcome);
    entry.span.end();
  };

  const fail = (entry: OpenSpan, error: ForgeError | undefined): void => {
    entry.span.setAttribute(ForgeAttribute.Outcome, 'failed');
    if (error === undefined) {
      entry.span.setAttribute(ForgeAttribute.ErrorType, 'closed');
      entry.span.setStatus({ code: SpanStatusCode.ERROR, message: 'the token manager was closed' });
    } else {
      entry.span.setAttributes(errorAttributes(error));
      // Class and code only: a message can quote the server's answer.
      entry.span.setStatus({ code: SpanStatusCode.ERROR, message: `${error.name} ${error.code}` });
    }
    entry.span.end();
  };

  const endAll = (): void => {
    for (const entry of open.values()) fail(entry, undefined);
    open.clear();
  };

  const off = [
    manager.on('started', onStarted),
    manager.on('attempt', onAttempt),
    manager.on('fetched', succeeded('fetched')),
    manager.on('refreshed', succeeded('refreshed')),
    manager.on('reused', succeeded('reused')),
    manager.on('failed', (event) => {
      const entry = open.get(event.flight);
      if (entry === undefined) return;
      open.delete(event.flight);
      entry.span.setAttribute(ForgeAttribute.RetryCount, Math.max(0, event.attempts - 1));
      fail(entry, event.error);
    }),
    manager.on('closed', endAll),
  ];
  return () => {
    for (const unsubscribe of off) unsubscribe();
    endAll();
  };
}

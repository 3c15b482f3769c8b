import type { ForgeError } from '@forge/core';
import type { Attributes } from '@opentelemetry/api';
import { ForgeAttribute } from './names.js';

// OAuth error codes are short snake_case words (RFC 6749 §5.2); anything else a
// server sends there is free text and stays out of telemetry.
const OAUTH_ERROR = /^[a-z_]{1,64}$/;

/**
 * The safe, low-cardinality description of an error: class, code and reason.
 * Never its message, which can quote a server's answer.
 */
export function errorAttributes(error: ForgeError): Attributes {
  const details = error as ForgeError & { reason?: unknown; error?: unknown };
  const reason =
    typeof details.reason === 'string'
      ? details.reason
      : typeof details.error === 'string' && OAUTH_ERROR.test(details.error)
        ? details.error
        : undefined;
  const attributes: Attributes = {
    [ForgeAttribute.ErrorType]: error.name,
    [ForgeAttribute.ErrorCode]: error.code,
  };
  if (reason !== undefined) attributes[ForgeAttribute.ErrorReason] = reason;
  return attributes;
}

/** `server.address`, `server.port` and `url.scheme` of a token endpoint origin. */
export function serverAttributes(origin: string): Attributes {
  if (!URL.canParse(origin)) return {};
  const url = new URL(origin);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  return {
    [ForgeAttribute.ServerAddress]: url.hostname,
    [ForgeAttribute.ServerPort]: port,
    [ForgeAttribute.UrlScheme]: url.protocol.slice(0, -1),
  };
}

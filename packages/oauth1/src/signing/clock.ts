/** 16 random bytes in hex: unique per request without coordination. */
export function defaultNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let out = '';
  for (const byte of bytes) out += byte.toString(16).padStart(2, '0');
  return out;
}

/** Seconds since the epoch from `Date.now()`, so fake timers control it in tests. */
export function defaultTimestamp(): number {
  return Math.floor(Date.now() / 1000);
}

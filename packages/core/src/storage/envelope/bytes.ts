// Byte helpers on Web APIs only (no `Buffer`), so the envelope runs wherever
// @forge/core does: Node, Deno, Bun, workerd.

/** Standard base64 of bytes. @internal */
export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * Bytes of base64 or base64url text, padded or not; `undefined` when the text
 * is not base64 at all.
 * @internal
 */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  const standard = text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (standard.length % 4 === 1) return undefined;
  let binary: string;
  try {
    binary = atob(standard + '='.repeat((4 - (standard.length % 4)) % 4));
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** Lowercase hex of bytes. @internal */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of text. @internal */
export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

/**
 * SHA-256 hex of the UTF-8 bytes of `text`: names entries without revealing
 * the manager's key, and fingerprints tokens for compare-and-delete.
 *
 * @example
 * ```ts
 * const digest = await sha256Hex('billing'); // 64 hex characters
 * ```
 */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', utf8(text))));
}

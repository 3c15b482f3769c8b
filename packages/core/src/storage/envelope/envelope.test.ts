import { describe, expect, it } from 'vitest';
import { ConfigurationError, StorageError } from '../../errors.js';
import { Token } from '../../token.js';
import { fromBase64, sha256Hex, toBase64 } from './bytes.js';
import { resolveEncryption } from './encryption.js';
import { decodeEntry, encodeEntry } from './envelope.js';

const reader = { package: 'storage-test', writer: '@forge/storage-test', foreignHint: 'check it' };
const token = new Token({ accessToken: 'at-secret-1', expiresAt: Date.now() + 60_000 });
const key = () => crypto.getRandomValues(new Uint8Array(32));

describe('storage envelope', () => {
  it('round-trips a clear entry and names the writer when the value is foreign', async () => {
    const raw = await encodeEntry(token, 'd1', 123, undefined);
    const entry = await decodeEntry(raw, 'e', 'd1', undefined, reader);
    expect(entry.token.accessToken).toBe('at-secret-1');
    expect(entry.expiresAt).toBe(123);
    await expect(decodeEntry('{"x":1}', 'e', 'd1', undefined, reader)).rejects.toThrow(
      /not written by @forge\/storage-test \(check it\)/,
    );
  });

  it('seals with the newest key, opens with any, and binds the entry digest', async () => {
    const [oldKey, newKey] = [key(), key()];
    const before = resolveEncryption({ key: oldKey }, 'storage-test');
    const after = resolveEncryption({ keys: [toBase64(newKey), oldKey] }, 'storage-test');
    const raw = await encodeEntry(token, 'd1', undefined, before);
    expect(raw).not.toContain('at-secret-1');
    expect((await decodeEntry(raw, 'e', 'd1', after, reader)).token.accessToken).toBe(
      'at-secret-1',
    );
    const moved = decodeEntry(raw, 'e', 'd2', after, reader);
    await expect(moved).rejects.toBeInstanceOf(StorageError);
    await expect(moved).rejects.toThrow(/tampered|moved/);
    const newer = await encodeEntry(token, 'd1', undefined, after);
    await expect(decodeEntry(newer, 'e', 'd1', before, reader)).rejects.toThrow(
      /not among the configured keys/,
    );
  });

  it('keeps the key id of the format written before Web Crypto (sha256 of label + key)', async () => {
    const bytes = new Uint8Array(32).fill(7);
    const raw = await encodeEntry(token, 'd', undefined, resolveEncryption({ key: bytes }, 'p'));
    const label = new TextEncoder().encode('forge-key-id');
    const material = new Uint8Array([...label, ...bytes]);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', material));
    const hex = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    expect(JSON.parse(raw).enc.kid).toBe(hex.slice(0, 16));
  });

  it.each([
    [{ key: new Uint8Array(16) }, 'encryption.key[0]'],
    [{ key: 'not base64 !' }, 'encryption.key[0]'],
    [{ keys: [] }, 'encryption.keys'],
    [{ keys: 'x' }, 'encryption.keys'],
    [{ nope: 1 }, 'encryption'],
  ])('rejects encryption %j naming %s', (encryption, option) => {
    expect(() => resolveEncryption(encryption, 'storage-test')).toThrow(ConfigurationError);
    expect(() => resolveEncryption(encryption, 'storage-test')).toThrow(
      expect.objectContaining({ option }),
    );
  });

  it('decodes base64 and base64url, and hashes like node:crypto', async () => {
    expect(fromBase64('-_8')).toEqual(new Uint8Array([251, 255]));
    expect(fromBase64('+/8=')).toEqual(new Uint8Array([251, 255]));
    expect(fromBase64('a')).toBeUndefined();
    expect(await sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});

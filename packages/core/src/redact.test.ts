import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactUrl } from './redact.js';

const S = 'S3cr3tMarker';

describe('redact', () => {
  it.each([
    [`client_secret=${S}&grant_type=client_credentials`, 'grant_type=client_credentials'],
    [`{"access_token":"${S}","token_type":"Bearer"}`, '"token_type":"Bearer"'],
    [`{"refresh_token": "${S}"}`, '"refresh_token"'],
    [`Authorization: Bearer ${S}`, 'Authorization'],
    [`authorization: Basic ${S}==`, 'authorization'],
    [`sent Bearer ${S} to api`, 'to api'],
    [`https://user:${S}@api.example/x`, 'api.example/x'],
    [`POST /token?assertion=${S}`, 'POST /token?assertion='],
    [`jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.${S}`, 'jwt '],
    [`Cookie: session=${S}`, 'Cookie'],
    // A stored Token's own JSON, as a storage driver's error may echo it.
    [`near {"data":{"accessToken":"${S}","tokenType":"Bearer"}}`, '"tokenType":"Bearer"'],
    [`{"refreshToken":"${S}"}`, '"refreshToken"'],
  ])('removes the secret from %s', (text, kept) => {
    const out = redact(text);
    expect(out).not.toContain(S);
    expect(out).toContain(REDACTED);
    expect(out).toContain(kept);
  });

  it('removes listed secrets anywhere', () => {
    expect(redact(`weird ${S} place`, [S])).toBe(`weird ${REDACTED} place`);
    expect(redact('short ab', ['ab'])).toBe('short ab');
  });

  it('leaves ordinary text alone', () => {
    const text = 'token endpoint http://127.0.0.1:3000/token answered 500 (error_code=7)';
    expect(redact(text)).toBe(text);
  });

  it('never throws and always removes listed secrets (property)', () => {
    // Lower-case secrets cannot overlap the upper-case marker that replaces them.
    const secret = fc.stringMatching(/^[a-z0-9]{8,24}$/);
    fc.assert(
      fc.property(fc.string(), secret, fc.string(), (before, value, after) => {
        expect(redact(`${before}${value}${after}`, [value])).not.toContain(value);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('redactUrl', () => {
  it('strips user-info and secret query parameters', () => {
    const out = redactUrl(`https://u:${S}@api.example/cb?code=${S}&state=xyz&access_token=${S}`);
    expect(out).not.toContain(S);
    expect(out).toContain('state=xyz');
    expect(out.startsWith('https://api.example/cb?')).toBe(true);
  });

  it('falls back to text redaction for invalid URLs', () => {
    expect(redactUrl(`not a url client_secret=${S}`)).not.toContain(S);
  });
});

import { describe, expect, it } from 'vitest';
import type { Authorizer } from '../authorizer.js';
import { authorizationBody, isReplayableBody } from './body.js';

const bearerLike: Authorizer = { authorize: () => undefined };
const signer: Authorizer = { signsBody: true, authorize: () => undefined };

describe('authorizationBody', () => {
  it('gives every authorizer form bodies, as URLSearchParams or declared strings', () => {
    const params = new URLSearchParams({ a: '1' });
    for (const authorizer of [bearerLike, signer]) {
      expect(authorizationBody(authorizer, params, undefined)).toBe(params);
      expect(
        authorizationBody(authorizer, 'a=1', 'Application/X-WWW-Form-Urlencoded; charset=utf-8'),
      ).toBe('a=1');
    }
  });

  it('gives other text bodies only to an authorizer with signsBody', () => {
    expect(authorizationBody(signer, '{"a":1}', 'application/json')).toBe('{"a":1}');
    expect(authorizationBody(signer, 'text', undefined)).toBe('text');
    expect(authorizationBody(bearerLike, '{"a":1}', 'application/json')).toBeUndefined();
    expect(authorizationBody(bearerLike, 'text', undefined)).toBeUndefined();
    expect(
      authorizationBody({ ...signer, signsBody: false }, '{"a":1}', 'application/json'),
    ).toBeUndefined();
  });

  it('never passes bytes, streams, FormData or unserialized values', () => {
    const form = new FormData();
    form.append('a', '1');
    for (const body of [new Uint8Array([1]), new ReadableStream(), form, { a: 1 }, undefined]) {
      expect(authorizationBody(signer, body, 'application/json')).toBeUndefined();
    }
  });
});

describe('isReplayableBody', () => {
  it('tells replayable bodies from streams', () => {
    expect(isReplayableBody(undefined)).toBe(true);
    expect(isReplayableBody('x')).toBe(true);
    expect(isReplayableBody(new URLSearchParams('a=1'))).toBe(true);
    expect(isReplayableBody(new Uint8Array(2))).toBe(true);
    expect(isReplayableBody({ a: 1 })).toBe(true);
    expect(isReplayableBody(new ReadableStream())).toBe(false);
    expect(isReplayableBody({ pipe() {} })).toBe(false);
    expect(isReplayableBody((async function* () {})())).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import type { Authorization } from '../authorizer.js';
import { forgetSentHeaders } from './sent-headers.js';

const ours: Authorization = { headers: { authorization: 'Bearer at-123456', dpop: 'proof.jwt.x' } };

describe('forgetSentHeaders', () => {
  it('replaces our values in the header block and drops them from every header map it keeps', () => {
    const kOutHeaders = Symbol('kOutHeaders');
    const client = {
      _header: 'GET / HTTP/1.1\r\nauthorization: Bearer at-123456\r\ndpop: proof.jwt.x\r\n\r\n',
      [kOutHeaders]: {
        authorization: ['authorization', 'Bearer at-123456'],
        accept: ['accept', '*/*'],
      },
    };
    // got's Request around Node's, with its options for http.request (lower-case names);
    // follow-redirects' options keep the caller's case.
    const wrapper = {
      _request: client,
      _requestOptions: { headers: { authorization: 'Bearer at-123456', dpop: 'proof.jwt.x' } },
      _options: { headers: { Authorization: 'Bearer at-123456', Accept: '*/*' } },
    };
    forgetSentHeaders(wrapper, ours);
    expect(client._header).toBe(
      'GET / HTTP/1.1\r\nauthorization: [REDACTED]\r\ndpop: [REDACTED]\r\n\r\n',
    );
    expect(client[kOutHeaders]).toEqual({ accept: ['accept', '*/*'] });
    expect(wrapper._requestOptions.headers).toEqual({});
    expect(wrapper._options.headers).toEqual({ Accept: '*/*' });
  });

  it('leaves a value the caller set themselves', () => {
    const options = { headers: { authorization: 'Bearer theirs-0000' } };
    forgetSentHeaders({ _requestOptions: options }, ours);
    expect(options.headers).toEqual({ authorization: 'Bearer theirs-0000' });
  });
});

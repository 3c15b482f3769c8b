import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors.js';
import { dpopChallengeError } from './challenge.js';
import { DPoP } from './dpop.js';
import { generateDPoPKey, jwkThumbprint } from './key.js';
import { ServerStates } from './server-state.js';

function decode(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function headers(values: Record<string, string>): { get(name: string): string | null } {
  return { get: (name) => values[name] ?? null };
}

async function verify(
  proof: string,
  jwk: JsonWebKey,
  params: AlgorithmIdentifier | EcdsaParams | RsaPssParams,
  importParams: AlgorithmIdentifier | EcKeyImportParams | RsaHashedImportParams,
): Promise<boolean> {
  const [header, payload, signature] = proof.split('.') as [string, string, string];
  const key = await crypto.subtle.importKey('jwk', jwk, importParams, false, ['verify']);
  return crypto.subtle.verify(
    params,
    key,
    Buffer.from(signature, 'base64url'),
    new TextEncoder().encode(`${header}.${payload}`),
  );
}

describe('DPoP proofs', () => {
  it('builds a dpop+jwt with the public key, htm, htu without query and fragment, iat, jti and ath', async () => {
    const dpop = new DPoP();
    const proof = await dpop.proof({
      method: 'post',
      url: 'https://api.example/orders/1?page=2#frag',
      accessToken: 'token-value',
    });
    const [h, p] = proof.split('.') as [string, string];
    const header = decode(h);
    const payload = decode(p);
    expect(header).toMatchObject({ typ: 'dpop+jwt', alg: 'ES256' });
    expect(header.jwk).not.toHaveProperty('d');
    expect(payload).toMatchObject({ htm: 'POST', htu: 'https://api.example/orders/1' });
    expect(payload.iat).toBe(Math.floor(Date.now() / 1000));
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode('token-value'));
    expect(payload.ath).toBe(Buffer.from(digest).toString('base64url'));
    expect(payload).not.toHaveProperty('nonce');
    expect(await jwkThumbprint(header.jwk as Record<string, unknown>)).toBe(dpop.thumbprint);
    expect(
      await verify(
        proof,
        header.jwk as JsonWebKey,
        { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
        {
          name: 'ECDSA',
          namedCurve: 'P-256',
        },
      ),
    ).toBe(true);
  });

  it('gives every proof its own jti', async () => {
    const dpop = new DPoP();
    const jtis = new Set<unknown>();
    for (let i = 0; i < 50; i++) {
      const proof = await dpop.proof({ method: 'GET', url: 'https://api.example/' });
      jtis.add(decode(proof.split('.')[1] as string).jti);
    }
    expect(jtis.size).toBe(50);
  });

  it('signs verifiable PS256 and EdDSA proofs', async () => {
    for (const [alg, params, importParams] of [
      ['PS256', { name: 'RSA-PSS', saltLength: 32 }, { name: 'RSA-PSS', hash: 'SHA-256' }],
      ['EdDSA', { name: 'Ed25519' }, { name: 'Ed25519' }],
    ] as const) {
      const dpop = new DPoP({ alg });
      const proof = await dpop.proof({ method: 'GET', url: 'https://api.example/' });
      const header = decode(proof.split('.')[0] as string);
      expect(header.alg).toBe(alg);
      expect(await verify(proof, header.jwk as JsonWebKey, params, importParams)).toBe(true);
    }
  });

  it('makes non-extractable keys unless asked, and takes a supplied pair as is', async () => {
    expect((await generateDPoPKey('ES256', false)).material.privateKey.extractable).toBe(false);
    expect((await generateDPoPKey('ES256', true)).material.privateKey.extractable).toBe(true);
    const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const supplied = new DPoP({ key: pair });
    const publicJwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    expect(await supplied.ready()).toBe(await jwkThumbprint(publicJwk as Record<string, unknown>));
  });

  it('uses the latest nonce of the origin and the bounded server clock', async () => {
    const dpop = new DPoP({ maxClockSkewMs: 60_000 });
    dpop.observe('https://as.example/token', headers({ 'dpop-nonce': 'n1' }));
    dpop.observe('https://as.example/token', headers({ 'dpop-nonce': 'n2' }));
    const now = Date.now();
    const ahead = new Date(now + 3_600_000).toUTCString();
    // A Date on a plain answer is not taken: only refusals report the clock.
    expect(dpop.observe('https://as.example/x', headers({ date: ahead }))).toBe(false);
    expect(dpop.observe('https://as.example/x', headers({ date: ahead }), true, now)).toBe(true);
    const proof = await dpop.proof({ method: 'POST', url: 'https://as.example/token' });
    const payload = decode(proof.split('.')[1] as string);
    expect(payload.nonce).toBe('n2');
    // One hour ahead, capped at one minute.
    expect(payload.iat as number).toBeLessThanOrEqual(Math.floor((Date.now() + 60_000) / 1000));
    expect(payload.iat as number).toBeGreaterThanOrEqual(Math.floor((now + 59_000) / 1000));
    // Another origin has neither.
    const other = decode(
      (await dpop.proof({ method: 'GET', url: 'https://api.example/' })).split('.')[1] as string,
    );
    expect(other).not.toHaveProperty('nonce');
  });

  it('refuses a nonce that is not NQCHAR', () => {
    const dpop = new DPoP();
    expect(dpop.observe('https://as.example/', headers({ 'dpop-nonce': 'bad"nonce' }))).toBe(false);
    expect(dpop.nonce('https://as.example/')).toBeUndefined();
  });

  it('keeps the key a token is bound to for one rotation, then refuses to sign for it', async () => {
    const dpop = new DPoP();
    const first = await dpop.ready();
    const second = await dpop.rotate();
    expect(second).not.toBe(first);
    await expect(
      dpop.proof({ method: 'GET', url: 'https://a.example/', thumbprint: first }),
    ).resolves.toBeTypeOf('string');
    await dpop.rotate();
    await expect(
      dpop.proof({ method: 'GET', url: 'https://a.example/', thumbprint: first }),
    ).rejects.toThrow(ConfigurationError);
  });

  it('validates its options', () => {
    expect(() => new DPoP({ alg: 'HS256' as 'ES256' })).toThrow(/ES256, PS256 or EdDSA/);
    expect(() => new DPoP({ maxClockSkewMs: -1 })).toThrow(ConfigurationError);
    expect(() => new DPoP({ allowBearer: 'yes' as unknown as boolean })).toThrow(
      ConfigurationError,
    );
  });

  it('rejects a public JWK and an unsupported key without quoting it', async () => {
    const { publicKey } = (await crypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256' },
      true,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey('jwk', publicKey)) as JsonWebKey & { kty: string };
    await expect(new DPoP({ key: jwk }).ready()).rejects.toThrow(/private JWK/);
    const error = await new DPoP({ key: { kty: 'EC', crv: 'P-384', d: 'secret-d-value' } })
      .ready()
      .catch((e: unknown) => e);
    expect(String(error)).not.toContain('secret-d-value');
  });
});

describe('ServerStates', () => {
  it('keeps one entry per origin, bounded, and ignores small clock differences', () => {
    const states = new ServerStates(300_000);
    const now = Date.now();
    expect(states.noteDate('https://a.example/', new Date(now + 2_000).toUTCString(), now)).toBe(
      false,
    );
    expect(states.offsetMs('https://a.example/')).toBe(0);
    for (let i = 0; i < 300; i++) states.noteNonce(`https://h${i}.example/`, `n${i}`);
    expect(states.nonce('https://h0.example/')).toBeUndefined();
    expect(states.nonce('https://h299.example/')).toBe('n299');
  });
});

describe('dpopChallengeError', () => {
  it('reads the DPoP challenge, not a Bearer one beside it', () => {
    expect(dpopChallengeError('DPoP error="use_dpop_nonce"')).toBe('use_dpop_nonce');
    expect(
      dpopChallengeError(
        'Bearer realm="x", error="invalid_token", DPoP algs="ES256", error="invalid_dpop_proof"',
      ),
    ).toBe('invalid_dpop_proof');
    expect(
      dpopChallengeError('DPoP realm="x", error="invalid_token", Bearer error="use_dpop_nonce"'),
    ).toBe('invalid_token');
    expect(dpopChallengeError('Bearer error="invalid_token"')).toBeUndefined();
    expect(dpopChallengeError(undefined)).toBeUndefined();
  });
});

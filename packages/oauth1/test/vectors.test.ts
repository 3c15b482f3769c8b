import { describe, expect, it } from 'vitest';
import { percentEncode } from '../src/encoding/percent.js';
import {
  baseStringUri,
  normalizeParameters,
  signatureBaseString,
} from '../src/signing/base-string.js';
import { createSignatureAlgorithm } from '../src/signing/methods.js';
import { OAuth1Signer, type OAuth1SignerOptions } from '../src/signing/signer.js';
import { OAUTH_NET_RSA_KEY, parseAuthorizationHeader } from './fixtures.js';

function fixed(options: OAuth1SignerOptions & { nonceValue: string; timestampValue: number }) {
  const { nonceValue, timestampValue, ...rest } = options;
  return new OAuth1Signer({ ...rest, nonce: () => nonceValue, timestamp: () => timestampValue });
}

describe('RFC 5849 worked examples', () => {
  const photos = { consumerKey: 'dpf43f3p2l4k3l03', consumerSecret: 'kd94hf93k423kf44' };

  it('§1.2 temporary credentials request: realm, oauth_callback, signature 74KNZJeD…', async () => {
    const signer = fixed({
      ...photos,
      realm: 'Photos',
      version: false,
      nonceValue: 'wIjqoS',
      timestampValue: 137131200,
    });
    const signed = await signer.sign(
      { method: 'POST', url: 'https://photos.example.net/initiate' },
      { oauthParameters: { oauth_callback: 'http://printer.example.com/ready' } },
    );
    expect(signed.oauthParameters.oauth_signature).toBe('74KNZJeDHnMBp0EMJ9ZHt/XKycU=');
    const header = signed.headers.authorization!;
    expect(header.startsWith('OAuth realm="Photos", ')).toBe(true);
    expect(header).toContain('oauth_callback="http%3A%2F%2Fprinter.example.com%2Fready"');
    expect(header).toContain('oauth_signature="74KNZJeDHnMBp0EMJ9ZHt%2FXKycU%3D"');
    expect(parseAuthorizationHeader(header)).toEqual({
      realm: 'Photos',
      oauth_consumer_key: 'dpf43f3p2l4k3l03',
      oauth_signature_method: 'HMAC-SHA1',
      oauth_timestamp: '137131200',
      oauth_nonce: 'wIjqoS',
      oauth_callback: 'http://printer.example.com/ready',
      oauth_signature: '74KNZJeDHnMBp0EMJ9ZHt/XKycU=',
    });
  });

  it('§1.2 token request with oauth_verifier, signature gKgrFCyw…', async () => {
    const signer = fixed({
      ...photos,
      realm: 'Photos',
      version: false,
      nonceValue: 'walatlh',
      timestampValue: 137131201,
    });
    const signed = await signer.sign(
      { method: 'POST', url: 'https://photos.example.net/token' },
      {
        token: { token: 'hh5s93j4hdidpola', tokenSecret: 'hdhd0244k9j7ao03' },
        oauthParameters: { oauth_verifier: 'hfdp7dh39dks9884' },
      },
    );
    expect(signed.oauthParameters.oauth_signature).toBe('gKgrFCywp7rO0OXSjdot/IHF7IU=');
  });

  it('§1.2 protected resource request with query, signature MdpQcU8i…', async () => {
    const signer = fixed({
      ...photos,
      realm: 'Photos',
      version: false,
      nonceValue: 'chapoH',
      timestampValue: 137131202,
    });
    const signed = await signer.sign(
      { method: 'GET', url: 'http://photos.example.net/photos?file=vacation.jpg&size=original' },
      { token: { token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' } },
    );
    expect(signed.oauthParameters.oauth_signature).toBe('MdpQcU8iPSUjWoN/UDMsK2sui9I=');
  });

  it('§3.4.1 signature base string: query + form body, duplicates, empty values, "+" as space', async () => {
    const signer = fixed({
      consumerKey: '9djdj82h48djs9d2',
      consumerSecret: 'j49sk3j29djd',
      realm: 'Example',
      version: false,
      nonceValue: '7d8f3e4a',
      timestampValue: 137131201,
    });
    const signed = await signer.sign(
      {
        method: 'POST',
        url: 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'c2&a3=2+q',
      },
      { token: { token: 'kkk9d7dh3k39sjv7', tokenSecret: 'dh893hdasih9' } },
    );
    expect(signed.baseString).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
    // HMAC-SHA1 of that base string with the §3.1 secrets, as other implementations publish it.
    expect(signed.oauthParameters.oauth_signature).toBe('r6/TJjbCOr97/+UU0NsvSne7s5g=');
  });

  it('§3.4.1.3.2 normalized parameters', () => {
    const parameters: [string, string][] = [
      ['b5', '=%3D'],
      ['a3', 'a'],
      ['c@', ''],
      ['a2', 'r b'],
      ['oauth_consumer_key', '9djdj82h48djs9d2'],
      ['oauth_token', 'kkk9d7dh3k39sjv7'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131201'],
      ['oauth_nonce', '7d8f3e4a'],
      ['c2', ''],
      ['a3', '2 q'],
    ];
    expect(normalizeParameters(parameters)).toBe(
      'a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2&oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201&oauth_token=kkk9d7dh3k39sjv7',
    );
  });

  it('§3.4.1.2 base string URI: lower-case scheme and host, default port dropped, other ports kept', () => {
    expect(baseStringUri(new URL('http://EXAMPLE.COM:80/r%20v/X?id=123'))).toBe(
      'http://example.com/r%20v/X',
    );
    expect(baseStringUri(new URL('https://www.example.net:8080/?q=1'))).toBe(
      'https://www.example.net:8080/',
    );
    expect(baseStringUri(new URL('https://example.net:443'))).toBe('https://example.net/');
    expect(baseStringUri(new URL('http://example.net:443/a#frag'))).toBe(
      'http://example.net:443/a',
    );
  });

  it('§3.4.4 PLAINTEXT: the encoded secrets joined with "&", then encoded again in the header', async () => {
    const signer = fixed({
      ...photos,
      signatureMethod: 'PLAINTEXT',
      nonceValue: 'n',
      timestampValue: 1,
    });
    const withoutToken = await signer.sign({
      method: 'POST',
      url: 'https://photos.example.net/initiate',
    });
    expect(withoutToken.oauthParameters.oauth_signature).toBe('kd94hf93k423kf44&');
    expect(withoutToken.headers.authorization).toContain('oauth_signature="kd94hf93k423kf44%26"');
    const withToken = await signer.sign(
      { method: 'GET', url: 'https://photos.example.net/photos' },
      { token: { token: 't', tokenSecret: 'pfkkdhi9sl3r4s00' } },
    );
    expect(withToken.oauthParameters.oauth_signature).toBe('kd94hf93k423kf44&pfkkdhi9sl3r4s00');
  });
});

describe('OAuth Core 1.0 Appendix A and the oauth.net test cases', () => {
  it('A.5 photos request: HMAC-SHA1 tR3+Ty81lMeYAr/Fid0kMTYa/WM= (with oauth_version)', async () => {
    const signer = fixed({
      consumerKey: 'dpf43f3p2l4k3l03',
      consumerSecret: 'kd94hf93k423kf44',
      nonceValue: 'kllo9940pd9333jh',
      timestampValue: 1191242096,
    });
    const signed = await signer.sign(
      { method: 'GET', url: 'http://photos.example.net/photos?file=vacation.jpg&size=original' },
      { token: { token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00' } },
    );
    expect(signed.baseString).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096%26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal',
    );
    expect(signed.oauthParameters.oauth_signature).toBe('tR3+Ty81lMeYAr/Fid0kMTYa/WM=');
  });

  it('percent-encoding (§5.1 of the test cases)', () => {
    const cases: [string, string][] = [
      ['abcABC123', 'abcABC123'],
      ['-._~', '-._~'],
      ['%', '%25'],
      ['+', '%2B'],
      ['&=*', '%26%3D%2A'],
      ['\u000A', '%0A'],
      ['\u0020', '%20'],
      ['\u007F', '%7F'],
      ['\u0080', '%C2%80'],
      ['\u3001', '%E3%80%81'],
      ["!'()", '%21%27%28%29'],
      ['😀', '%F0%9F%98%80'],
      ['\uD800', '%EF%BF%BD'],
    ];
    for (const [input, expected] of cases) expect(percentEncode(input)).toBe(expected);
  });

  it('parameter normalization (§5.2 of the test cases)', () => {
    expect(normalizeParameters([['name', '']])).toBe('name=');
    expect(normalizeParameters([['a', 'b']])).toBe('a=b');
    expect(
      normalizeParameters([
        ['a', 'b'],
        ['c', 'd'],
      ]),
    ).toBe('a=b&c=d');
    expect(
      normalizeParameters([
        ['a', 'x!y'],
        ['a', 'x y'],
      ]),
    ).toBe('a=x%20y&a=x%21y');
    expect(
      normalizeParameters([
        ['x!y', 'a'],
        ['x', 'a'],
      ]),
    ).toBe('x=a&x%21y=a');
  });

  it('signature base strings (§5.3 of the test cases)', () => {
    expect(signatureBaseString('GET', new URL('http://example.com/'), [['n', 'v']])).toBe(
      'GET&http%3A%2F%2Fexample.com%2F&n%3Dv',
    );
    expect(signatureBaseString('GET', new URL('http://example.com'), [['n', 'v']])).toBe(
      'GET&http%3A%2F%2Fexample.com%2F&n%3Dv',
    );
    expect(
      signatureBaseString('POST', new URL('https://photos.example.net/request_token'), [
        ['oauth_version', '1.0'],
        ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
        ['oauth_timestamp', '1191242090'],
        ['oauth_nonce', 'hsu94j3884jdopsl'],
        ['oauth_signature_method', 'PLAINTEXT'],
      ]),
    ).toBe(
      'POST&https%3A%2F%2Fphotos.example.net%2Frequest_token&oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dhsu94j3884jdopsl%26oauth_signature_method%3DPLAINTEXT%26oauth_timestamp%3D1191242090%26oauth_version%3D1.0',
    );
  });

  it('HMAC-SHA1 of raw base strings (§9.2 of the test cases)', async () => {
    const algorithm = createSignatureAlgorithm('HMAC-SHA1', { consumerSecret: 'cs' });
    expect(await algorithm.sign('bs', '')).toBe('egQqG5AJep5sJ7anhXju1unge2I=');
    expect(await algorithm.sign('bs', 'ts')).toBe('VZVjXceV7JgPq/dOTnNmEfO0Fv8=');
  });

  it('RSA-SHA1 (§9.3 of the test cases) with the published PKCS #8 key', async () => {
    const signer = fixed({
      consumerKey: 'dpf43f3p2l4k3l03',
      signatureMethod: 'RSA-SHA1',
      privateKey: OAUTH_NET_RSA_KEY,
      nonceValue: '13917289812797014437',
      timestampValue: 1196666512,
    });
    const signed = await signer.sign({
      method: 'GET',
      url: 'http://photos.example.net/photos?file=vacaction.jpg&size=original',
    });
    expect(signed.baseString).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacaction.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3D13917289812797014437%26oauth_signature_method%3DRSA-SHA1%26oauth_timestamp%3D1196666512%26oauth_version%3D1.0%26size%3Doriginal',
    );
    expect(signed.oauthParameters.oauth_signature).toBe(
      'jvTp/wX1TYtByB1m+Pbyo0lnCOLIsyGCH7wke8AUs3BpnwZJtAuEJkvQL2/9n4s5wUmUl4aCI4BwpraNx4RtEXMe5qg5T1LVTGliMRpKasKsW//e+RinhejgCuzoH26dyF8iY2ZZ/5D1ilgeijhV/vBka5twt399mXwaYdCwFYE=',
    );
  });
});

describe("Twitter's documented signing example", () => {
  const twitter = {
    consumerKey: 'xvz1evFS4wEEPTGEFPHBog',
    consumerSecret: 'kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw',
    nonceValue: 'kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg',
    timestampValue: 1318622958,
  };
  const token = {
    token: '370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb',
    tokenSecret: 'LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE',
  };
  const request = (path: string) => ({
    method: 'POST',
    url: `https://api.twitter.com${path}?include_entities=true`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'status=Hello%20Ladies%20%2b%20Gentlemen%2c%20a%20signed%20OAuth%20request%21',
  });

  it('POST /1/statuses/update.json: base string and tnnArxj06cWHq44gCs1OSKk/jLY=', async () => {
    const signed = await fixed(twitter).sign(request('/1/statuses/update.json'), { token });
    expect(signed.baseString).toBe(
      'POST&https%3A%2F%2Fapi.twitter.com%2F1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521',
    );
    expect(signed.oauthParameters.oauth_signature).toBe('tnnArxj06cWHq44gCs1OSKk/jLY=');
  });

  it('POST /1.1/statuses/update.json: hCtSmYh+iHYCEqBWrE7C7hYmtUk=', async () => {
    const signed = await fixed(twitter).sign(request('/1.1/statuses/update.json'), { token });
    expect(signed.oauthParameters.oauth_signature).toBe('hCtSmYh+iHYCEqBWrE7C7hYmtUk=');
  });
});

describe('OAuth Request Body Hash extension examples', () => {
  it('POST text/plain "Hello World!": oauth_body_hash Lve95gjOVATpfV8EL5X4nxwjKHE= in the base string', async () => {
    const signer = fixed({
      consumerKey: 'consumer',
      consumerSecret: 'secret',
      bodyHash: true,
      nonceValue: '10369470270925',
      timestampValue: 1236874236,
    });
    const signed = await signer.sign(
      {
        method: 'POST',
        url: 'http://www.example.com/resource',
        headers: { 'content-type': 'text/plain' },
        body: 'Hello World!',
      },
      { token: { token: 'token', tokenSecret: 'secret' } },
    );
    expect(signed.oauthParameters.oauth_body_hash).toBe('Lve95gjOVATpfV8EL5X4nxwjKHE=');
    expect(signed.baseString).toBe(
      'POST&http%3A%2F%2Fwww.example.com%2Fresource&oauth_body_hash%3DLve95gjOVATpfV8EL5X4nxwjKHE%253D%26oauth_consumer_key%3Dconsumer%26oauth_nonce%3D10369470270925%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1236874236%26oauth_token%3Dtoken%26oauth_version%3D1.0',
    );
  });

  it('a request without a body hashes the empty string; a form body gets no hash', async () => {
    const signer = fixed({
      consumerKey: 'c',
      consumerSecret: 's',
      bodyHash: true,
      nonceValue: 'n',
      timestampValue: 1,
    });
    const get = await signer.sign({ method: 'GET', url: 'http://www.example.com/resource' });
    expect(get.oauthParameters.oauth_body_hash).toBe('2jmj7l5rSw0yVb/vlWAYkK/YBwk=');
    const form = await signer.sign({
      method: 'POST',
      url: 'http://www.example.com/resource',
      body: new URLSearchParams({ a: 'b' }),
    });
    expect(form.oauthParameters.oauth_body_hash).toBeUndefined();
  });

  it('HMAC-SHA256 hashes the body with SHA-256', async () => {
    const signer = fixed({
      consumerKey: 'c',
      consumerSecret: 's',
      signatureMethod: 'HMAC-SHA256',
      bodyHash: true,
      nonceValue: 'n',
      timestampValue: 1,
    });
    const signed = await signer.sign({ method: 'GET', url: 'http://www.example.com/' });
    // SHA-256 of the empty string.
    expect(signed.oauthParameters.oauth_body_hash).toBe(
      '47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=',
    );
  });
});

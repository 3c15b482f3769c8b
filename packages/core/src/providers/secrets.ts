const SECRET_PARAMS = [
  'client_secret',
  'client_assertion',
  'assertion',
  'password',
  'refresh_token',
  'code',
  'code_verifier',
  'subject_token',
  'actor_token',
];

/**
 * Every secret a token request carries (body parameters and the Basic
 * password, decoded), so messages built from the server's answer can be
 * scrubbed of them even if the server echoes them back.
 */
export function secretsOf(
  body: URLSearchParams,
  headers: Readonly<Record<string, string>>,
  extraParams: readonly string[] = [],
): string[] {
  const secrets: string[] = [];
  for (const name of [...SECRET_PARAMS, ...extraParams]) {
    for (const value of body.getAll(name)) secrets.push(value);
  }
  const basic = /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  if (basic) {
    try {
      const decoded = atob(basic);
      const password = decoded.slice(decoded.indexOf(':') + 1);
      secrets.push(password, decodeURIComponent(password.replace(/\+/g, '%20')));
    } catch {
      // Not our encoding: nothing more to scrub than the header itself, which redact() handles.
    }
  }
  return secrets;
}

import { OPTIONS } from './options/spec.js';

const COMMON = `Usage: forge <command> [options]

Commands:
  token     get a token and show its type, scope, expiry and JWT claims (never the token itself
            unless --show-token)
  doctor    run discovery and a token request, time each step, and explain what went wrong

Options come from flags, then environment variables, then a config file (--config, FORGE_CONFIG;
JSON or YAML, keys as in @forge/core: clientId, clientSecretFile, scope, …). Secrets belong in
environment variables or files (--client-secret-file, FORGE_CLIENT_SECRET, FORGE_CLIENT_SECRET_FILE).

Output:
  -c, --config <file>      JSON or YAML config file
      --json               one JSON document on stdout
      --show-token         also print the access and refresh tokens (forge token)
  -h, --help               this help
  -v, --version            the version

Exit codes: 0 ok, 1 a check failed or the server refused, 2 usage error,
            3 server unreachable (DNS, connection, TLS, timeout), 4 server busy or failing (429, 5xx)
`;

export function helpText(): string {
  const rows = OPTIONS.map((spec) => {
    const flag =
      spec.secret === 'file-only'
        ? `--${spec.flag}-file <path>`
        : `--${spec.flag} <${spec.kind === 'number' ? 'n' : 'value'}>${spec.secret ? `, --${spec.flag}-file <path>` : ''}`;
    return `  ${flag}\n        ${spec.help} [${spec.env}${spec.secret ? `, ${spec.env}_FILE` : ''}]`;
  });
  return `${COMMON}\nToken options:\n${rows.join('\n')}\n`;
}

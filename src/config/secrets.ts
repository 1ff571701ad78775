import { ClError } from '../errors.js';

/**
 * Secrets (passwords, tokens, webhook URLs, the acknowledgment-link key) are named in closeloop.yaml
 * by reference, `env:NAME`, and read from the environment once at start: the file, the store, the
 * audit log and the logs never hold them.
 */
export const SECRET_REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

/** Whether `value` is a secret reference (`env:NAME`). */
export function isSecretReference(value: string): boolean {
  return SECRET_REFERENCE.test(value);
}

/**
 * The secret a reference names, read from `env`. Refuses, naming the configuration key, a value
 * that is not a reference (a literal secret in the file) and a variable that is unset or empty.
 */
export function resolveSecret(ref: string, env: NodeJS.ProcessEnv, key: string): string {
  const m = SECRET_REFERENCE.exec(ref);
  if (m?.[1] === undefined) throw new ClError('CL_CONFIG_INVALID', `${key}: a secret is given by reference, env:NAME (the environment variable that holds it), not written in the file`, { key });
  const value = env[m[1]];
  if (value === undefined || value === '') throw new ClError('CL_CONFIG_INVALID', `${key}: environment variable ${m[1]} is not set`, { key, variable: m[1] });
  return value;
}

/**
 * Secrets in closeloop.yaml are references, never values: `env:NAME` names an environment
 * variable read once at start. The configuration file, the store, the audit chain and the logs
 * then hold only the reference, so none of them ever carries a password, a token or a webhook URL.
 */
import { z } from 'zod';
import { ClError } from '../errors.js';

const REFERENCE = /^env:([A-Za-z_][A-Za-z0-9_]*)$/;

/** The example every message about a secret reference offers. */
export const SECRET_REFERENCE_HINT = 'a secret reference env:NAME (the secret itself goes in the environment variable NAME)';

/**
 * A configuration value that must be a secret reference. A literal secret is refused (without
 * echoing it): written into closeloop.yaml it would be copied wherever the file goes.
 */
export const secretRef = z.string().regex(REFERENCE, SECRET_REFERENCE_HINT);

/** True when `value` is written as a secret reference (`env:NAME`). */
export function isSecretRef(value: string): boolean {
  return REFERENCE.test(value);
}

/** The environment variable a reference names. */
export function secretVariable(ref: string): string | null {
  return REFERENCE.exec(ref)?.[1] ?? null;
}

/**
 * The secret a reference names, read from `env`. `key` is where the reference sits in the
 * configuration (e.g. `delivery.email.password`), so the error says which key to fix and which
 * variable to set; the error never contains a secret value.
 */
export function resolveSecret(ref: string, env: NodeJS.ProcessEnv, key: string): string {
  const name = secretVariable(ref);
  if (name === null) {
    throw new ClError('CL_CONFIG_INVALID', `${key}: must be ${SECRET_REFERENCE_HINT}`, { key });
  }
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ClError('CL_CONFIG_INVALID', `${key}: environment variable ${name} is not set (the key refers to it as ${ref})`, { key, variable: name });
  }
  return value;
}

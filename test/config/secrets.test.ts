import { describe, expect, it } from 'vitest';
import { isSecretRef, resolveSecret, secretRef } from '../../src/config/secrets.js';
import { ClError } from '../../src/errors.js';

describe('secret references', () => {
  it('resolves env:NAME from the environment it is given', () => {
    expect(resolveSecret('env:SMTP_PASSWORD', { SMTP_PASSWORD: 's3cret' }, 'delivery.email.password')).toBe('s3cret');
  });

  it('names the key and the variable when the variable is unset, never a value', () => {
    let err: unknown;
    try {
      resolveSecret('env:SMTP_PASSWORD', {}, 'delivery.email.password');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ClError);
    expect((err as ClError).code).toBe('CL_CONFIG_INVALID');
    expect((err as ClError).message).toContain('delivery.email.password');
    expect((err as ClError).message).toContain('SMTP_PASSWORD');
  });

  it('refuses a literal secret where a reference is required, without echoing it', () => {
    expect(isSecretRef('hunter2')).toBe(false);
    const parsed = secretRef.safeParse('https://hooks.slack.com/services/T000/B000/XXXX');
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).not.toContain('hooks.slack.com');
    expect(() => resolveSecret('hunter2', { hunter2: 'x' }, 'delivery.email.password')).toThrow(/delivery\.email\.password: must be a secret reference/);
  });
});

// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { linkHere } from './People';

describe('a set-password link as shown in the browser', () => {
  it('keeps the token and puts it on the address the browser reaches the server at', () => {
    expect(linkHere('http://127.0.0.1:8080/set-password?token=abc_DEF-123', 'https://closeloop.example.org')).toBe('https://closeloop.example.org/set-password?token=abc_DEF-123');
  });
});

import { describe, expect, it } from 'vitest';
import { WarningLines } from '../../src/app/warning-lines.js';

describe('warning lines', () => {
  it('keeps the first lines and counts the rest', () => {
    const w = new WarningLines(2);
    for (const l of ['a', 'b', 'c', 'd']) w.add(l);
    expect(w.close()).toEqual(['a', 'b', '… and 2 more']);
    const none = new WarningLines(2);
    none.add('only');
    expect(none.close()).toEqual(['only']);
  });
});

/**
 * The README's command-line walk-through, run as written in an empty directory: every command
 * exits as its comment says (0 unless `# exit N`), and the incident ends closed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectExit, inProcessCli, root } from '../helpers/cli.js';

const HEADING = '### A first incident, end to end';

/** A shell command line split into words (quotes, backslash escapes), and its `#` comment. */
function shellWords(line: string): { words: string[]; comment: string } {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line.charAt(i);
    if (quote === "'") {
      if (ch === "'") quote = null;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = null;
      else if (ch === '\\' && i + 1 < line.length && '"\\$`'.includes(line.charAt(i + 1))) word += line.charAt(++i);
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      word ??= '';
    } else if (ch === '\\' && i + 1 < line.length) {
      word = (word ?? '') + line.charAt(++i);
    } else if (ch === ' ' || ch === '\t') {
      if (word !== null) words.push(word);
      word = null;
    } else if (ch === '#' && word === null) {
      return { words, comment: line.slice(i + 1).trim() };
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (quote !== null) throw new Error(`unterminated ${quote} in: ${line}`);
  if (word !== null) words.push(word);
  return { words, comment: '' };
}

/** The command lines of the fenced `sh` blocks under `heading` (up to the next heading), continuations joined. */
function walkthrough(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no heading "${heading}"`);
  const section = markdown.slice(start + heading.length + 2).split(/\n#{1,6} /)[0] ?? '';
  const lines: string[] = [];
  for (const block of section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    lines.push(...(block[1] ?? '').replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() !== ''));
  }
  return lines;
}

describe('shellWords', () => {
  it('splits as a shell does: quotes group, backslashes escape, # starts a comment', () => {
    expect(shellWords(`npx closeloop reportout add X --notes "a, b; c" --action 'x "y"' --by bob   # exit 3: why`)).toEqual({
      words: ['npx', 'closeloop', 'reportout', 'add', 'X', '--notes', 'a, b; c', '--action', 'x "y"', '--by', 'bob'],
      comment: 'exit 3: why',
    });
    expect(shellWords('a "" b\\ c "d\\"e" f#g')).toEqual({ words: ['a', '', 'b c', 'd"e', 'f#g'], comment: '' });
    expect(() => shellWords('a "b')).toThrow('unterminated');
  });
});

describe('the README walk-through', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'closeloop-readme-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs as written in an empty directory and ends with the incident closed', async () => {
    const lines = walkthrough(readFileSync(path.join(root, 'README.md'), 'utf8'), HEADING);
    const commands = lines.map(shellWords).filter((c) => c.words[0] === 'npx' && c.words[1] === 'closeloop');
    expect(commands.length, 'every command line of the walk-through starts with `npx closeloop`').toBe(lines.length);
    // the incident's id carries the year it was opened in: the clock is the README's year
    let clock = Date.parse('2026-03-02T09:00:00Z');
    const now = () => new Date((clock += 1000));
    const env = { CLOSELOOP_DB: '', CLOSELOOP_CONFIG: '', CLOSELOOP_ACTOR: '' };
    for (const { words, comment } of commands) {
      const expected = Number(/^exit (\d)\b/.exec(comment)?.[1] ?? 0);
      expectExit(await inProcessCli(dir, words.slice(2), env, now), expected, words.join(' '));
    }
    const closes = commands.filter((c) => c.words[2] === 'incident' && c.words[3] === 'close');
    const id = closes.at(-1)?.words[4] ?? '';
    expect(id).toMatch(/^INC-2026-\d{4}$/);
    const shown = await inProcessCli(dir, ['incident', 'show', id, '--by', 'bob', '--json'], env, now);
    expectExit(shown, 0);
    expect(shown.json().incident).toMatchObject({ id, state: 'closed' });
    // the defaults are relative to the directory the commands ran in
    for (const file of ['closeloop.yaml', 'closeloop.db', path.join('outbox', 'service_owner')]) expect(existsSync(path.join(dir, file)), file).toBe(true);
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { contextLocations, pathIn } from '../../src/app/open-context.js';

describe('pathIn', () => {
  const elsewhere = path.join(path.parse(process.cwd()).root, 'some', 'where');

  it('takes a relative path in the given directory, and keeps one that already means that', () => {
    expect(pathIn(elsewhere, 'report.json')).toBe(path.join(elsewhere, 'report.json'));
    expect(pathIn(elsewhere, './out/x')).toBe(path.join(elsewhere, 'out', 'x'));
    // this process runs in the directory: the path is kept as given (printed and recorded so)
    expect(pathIn(process.cwd(), './report.json')).toBe('./report.json');
    expect(pathIn(elsewhere, '/abs/report.json')).toBe('/abs/report.json');
    expect(pathIn(elsewhere, '')).toBe('');
  });
});

describe('contextLocations', () => {
  const dir = path.join(path.parse(process.cwd()).root, 'work', 'dir');

  it('reads CLOSELOOP_CONFIG and CLOSELOOP_DB, defaulting to files in the directory', () => {
    expect(contextLocations({ env: {}, cwd: dir })).toEqual({ configPath: path.join(dir, 'closeloop.yaml'), dbUrl: path.join(dir, 'closeloop.db') });
    expect(contextLocations({ env: { CLOSELOOP_CONFIG: ' ', CLOSELOOP_DB: '' }, cwd: dir })).toEqual({ configPath: path.join(dir, 'closeloop.yaml'), dbUrl: path.join(dir, 'closeloop.db') });
    expect(contextLocations({ env: { CLOSELOOP_CONFIG: 'etc/c.yaml', CLOSELOOP_DB: 'data/c.db' }, cwd: dir })).toEqual({ configPath: path.join(dir, 'etc', 'c.yaml'), dbUrl: path.join(dir, 'data', 'c.db') });
  });

  it('keeps a PostgreSQL URL and an in-memory SQLite store as they are', () => {
    expect(contextLocations({ env: { CLOSELOOP_DB: 'postgres://u@h:5432/db?schema=s' }, cwd: dir }).dbUrl).toBe('postgres://u@h:5432/db?schema=s');
    expect(contextLocations({ env: { CLOSELOOP_DB: ':memory:' }, cwd: dir }).dbUrl).toBe(':memory:');
  });
});

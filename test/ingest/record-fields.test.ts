import { describe, expect, it } from 'vitest';
import { ImportError } from '../../src/errors.js';
import { findingParsers } from '../../src/ingest/findings/index.js';
import { readCsvRows } from '../../src/ingest/record-fields.js';
import { chunked, errorOf, parseAll } from './findings/helpers.js';

/** CSV rows are named by the line they start on, whatever line breaks the file and its quoted cells use. */
describe('CSV line numbers', () => {
  const rows = async (text: string): Promise<[string, number][]> => {
    const out: [string, number][] = [];
    for await (const { line, row } of readCsvRows(chunked(Buffer.from(text), 5), { file: 'x.csv' })) out.push([row.A ?? '', line]);
    return out;
  };

  for (const eol of ['\r\n', '\n']) {
    it(`quoted cells with line breaks, ${JSON.stringify(eol)} files`, async () => {
      const text = ['A,B,C', `1,h,"a${eol}b${eol}c"`, `2,h,"a${eol}b"`, '3,h,o', '4,h,"x\ny"', '', '5,h,z', ''].join(eol);
      expect(await rows(text)).toEqual([
        ['1', 2],
        ['2', 5],
        ['3', 7],
        ['4', 8],
        ['5', 11],
      ]);
    });
  }

  it('a bad cell after multi-line cells is named by its own line (a Tenable CSV saved on Windows)', async () => {
    const text = 'Plugin ID,Host,Port,Name,Risk,Plugin Output\r\n1,h,22,N,High,"a\r\nb\r\nc"\r\n2,h,22,N,High,"a\r\nb"\r\n3,h,x,N,High,o\r\n';
    const err = await errorOf(parseAll(findingParsers.tenable, chunked(Buffer.from(text), 7), 'win.csv'));
    expect(err).toBeInstanceOf(ImportError);
    expect(err instanceof ImportError ? [err.record, err.field] : null).toEqual([7, 'Port']);
  });
});

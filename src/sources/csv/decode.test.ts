import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { encodeText, garbage } from '../../../test/helpers/csv-files.js';
import {
  binaryProblem,
  chooseEncoding,
  createDecoder,
  DecodeError,
  decodeSample,
  type EncodingChoice,
  firstInvalidUtf8,
  utf8CompleteLength,
} from './decode.js';

/** Runs bytes through a decoder in the given chunk sizes; returns the UTF-8 text it emitted. */
async function decodeChunks(
  bytes: Buffer,
  choice: EncodingChoice,
  cuts: readonly number[] = [],
): Promise<string> {
  const body = bytes.subarray(choice.bomLength);
  const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, body.length]) {
    if (p > prev) chunks.push(body.subarray(prev, p));
    prev = Math.max(prev, p);
  }
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    createDecoder(choice),
    new Writable({
      write(chunk: Buffer, _enc, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(out).toString('utf8');
}

describe('chooseEncoding', () => {
  it('trusts a BOM', () => {
    expect(chooseEncoding(encodeText('a,b', 'utf-8-bom'), true, 'auto')).toEqual({
      encoding: 'utf-8',
      bomLength: 3,
      how: 'bom',
    });
    expect(chooseEncoding(encodeText('a\tb', 'utf-16le'), true, 'auto')).toMatchObject({
      encoding: 'utf-16le',
      bomLength: 2,
    });
    expect(chooseEncoding(encodeText('a\tb', 'utf-16be'), true, 'auto')).toMatchObject({
      encoding: 'utf-16be',
      bomLength: 2,
    });
  });

  it('reads valid UTF-8 as UTF-8 and anything else as Windows-1252', () => {
    expect(chooseEncoding(Buffer.from('Müller;Weiß', 'utf8'), true, 'auto').encoding).toBe('utf-8');
    expect(chooseEncoding(iconv.encode('Müller;Weiß', 'windows-1252'), true, 'auto')).toEqual({
      encoding: 'windows-1252',
      bomLength: 0,
      how: 'not valid UTF-8',
    });
  });

  it('does not call a sample invalid because it ends inside a character', () => {
    const bytes = Buffer.from('Weiß', 'utf8');
    const cut = bytes.subarray(0, bytes.length - 1);
    expect(chooseEncoding(cut, false, 'auto').encoding).toBe('utf-8');
    // A whole file cut inside its last character is UTF-8 cut off (the decoder refuses it), not
    // Windows-1252: that would read the cut byte as a letter and accept a changed last row.
    expect(chooseEncoding(cut, true, 'auto').encoding).toBe('utf-8');
  });

  it('recognises UTF-16 without a BOM by its NUL pattern', () => {
    const text = 'Vorname\tNachname\tE-Mail\r\nAnna\tAlpha\tanna@example.com\r\n';
    expect(chooseEncoding(Buffer.from(text, 'utf16le'), true, 'auto').encoding).toBe('utf-16le');
    expect(chooseEncoding(Buffer.from(text, 'utf16le').swap16(), true, 'auto').encoding).toBe('utf-16be');
  });

  it('obeys a configured encoding and skips only its own BOM', () => {
    expect(chooseEncoding(encodeText('x', 'utf-8-bom'), true, 'utf-8')).toEqual({
      encoding: 'utf-8',
      bomLength: 3,
      how: 'configured',
    });
    expect(chooseEncoding(encodeText('x', 'utf-8-bom'), true, 'windows-1252').bomLength).toBe(0);
  });
});

describe('binaryProblem', () => {
  it('accepts ordinary text, tabs and a DOS end-of-file mark', () => {
    const text = 'Vorname;Nachname\r\nHans;Müller\t\x1a';
    expect(binaryProblem(Buffer.from(text), text)).toBeUndefined();
  });

  it('rejects NUL bytes, control-character soup and office files', () => {
    const g = garbage(4096);
    expect(binaryProblem(g, iconv.decode(g, 'windows-1252'))).toMatch(/binary/);
    const noNul = Buffer.from(g.map((b) => b || 1));
    expect(binaryProblem(noNul, iconv.decode(noNul, 'windows-1252'))).toMatch(/control characters/);
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), g]);
    expect(binaryProblem(zip, '')).toMatch(/Excel workbook/);
  });
});

describe('UTF-8 helpers', () => {
  it('finds where a split character starts', () => {
    const b = Buffer.from('aß€😀', 'utf8'); // 1 + 2 + 3 + 4 bytes
    expect(utf8CompleteLength(b)).toBe(b.length);
    expect(utf8CompleteLength(b.subarray(0, 9))).toBe(6);
    expect(utf8CompleteLength(b.subarray(0, 7))).toBe(6);
    expect(utf8CompleteLength(b.subarray(0, 5))).toBe(3);
    expect(utf8CompleteLength(b.subarray(0, 2))).toBe(1);
  });

  it('locates the first invalid byte', () => {
    expect(firstInvalidUtf8(Buffer.from('Müller', 'utf8'))).toBe(-1);
    expect(firstInvalidUtf8(iconv.encode('Müller', 'windows-1252'))).toBe(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xed, 0xa0, 0x80]))).toBe(1); // a surrogate
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0x80]))).toBe(0); // overlong
  });
});

describe('createDecoder', () => {
  const text = fc.string({ unit: 'grapheme', maxLength: 200 }).map((s) => s.replaceAll('\0', ''));

  it('passes UTF-8 through unchanged whatever the chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(), { maxLength: 6 }), async (s, cuts) => {
        const bytes = Buffer.from(s, 'utf8');
        const choice: EncodingChoice = { encoding: 'utf-8', bomLength: 0, how: 'valid UTF-8' };
        expect(await decodeChunks(bytes, choice, cuts)).toBe(s);
      }),
    );
  });

  it('transcodes UTF-16 (both byte orders) whatever the chunk boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(text, fc.boolean(), fc.array(fc.nat(), { maxLength: 6 }), async (s, le, cuts) => {
        const encoding = le ? 'utf-16le' : 'utf-16be';
        const choice: EncodingChoice = { encoding, bomLength: 2, how: 'bom' };
        expect(await decodeChunks(encodeText(s, encoding), choice, cuts)).toBe(s);
      }),
    );
  });

  it('transcodes Windows-1252', async () => {
    const s = 'Hans;Müller;Weiß;€ 5;„Zitat“\r\n';
    const choice: EncodingChoice = { encoding: 'windows-1252', bomLength: 0, how: 'configured' };
    expect(await decodeChunks(iconv.encode(s, 'windows-1252'), choice, [3, 9])).toBe(s);
  });

  it('reports invalid UTF-8 and NUL bytes with their offset in the file', async () => {
    const choice: EncodingChoice = { encoding: 'utf-8', bomLength: 0, how: 'valid UTF-8' };
    const bad = Buffer.concat([
      Buffer.from('Anna;Alpha\nHans;M'),
      Buffer.from([0xfc]),
      Buffer.from('ller\n'),
    ]);
    const e1 = await decodeChunks(bad, choice, [12]).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(DecodeError);
    expect(e1).toMatchObject({ problem: 'not-utf-8', byteOffset: 17 });
    const nul = Buffer.from('Anna;Alpha\n\0\0');
    await expect(decodeChunks(nul, choice)).rejects.toMatchObject({ problem: 'binary', byteOffset: 11 });
  });

  it('reports a file cut inside a character', async () => {
    const choice: EncodingChoice = { encoding: 'utf-8', bomLength: 0, how: 'valid UTF-8' };
    await expect(decodeChunks(Buffer.from('Wei\xc3', 'latin1'), choice)).rejects.toMatchObject({
      problem: 'cut',
    });
    const odd = Buffer.concat([encodeText('Weiß', 'utf-16le'), Buffer.from([0x41])]);
    await expect(decodeChunks(odd, { encoding: 'utf-16le', bomLength: 2, how: 'bom' })).rejects.toMatchObject(
      {
        problem: 'cut',
      },
    );
  });
});

describe('decodeSample', () => {
  it('decodes every encoding for dialect detection', () => {
    const s = 'Vorname;Nachname\r\nJörg;Weiß\r\n';
    for (const enc of ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'windows-1252'] as const) {
      const bytes = encodeText(s, enc);
      expect(decodeSample(bytes, chooseEncoding(bytes, true, 'auto'), true)).toBe(s);
    }
  });
});

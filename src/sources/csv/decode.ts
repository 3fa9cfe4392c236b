/**
 * Encoding detection and streaming decode for drop files. Everything downstream (csv-parse)
 * sees UTF-8 bytes: UTF-8 input passes through untouched (only validated, which is cheap),
 * Windows-1252 and UTF-16 are transcoded chunk by chunk. Nothing reads a whole file into a string.
 *
 * Detection (encoding `auto`): a BOM decides; else UTF-16 without a BOM is recognised by its NUL
 * pattern; else strict UTF-8; a file that is not valid UTF-8 is Windows-1252 (German Excel's
 * "CSV (Trennzeichen-getrennt)"). Only the first 64 KiB are sniffed, so the reader restarts as
 * Windows-1252 when an invalid UTF-8 byte shows up later (see read.ts).
 */
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';
import iconv from 'iconv-lite';
import type { EncodingSetting } from './config.js';

export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface EncodingChoice {
  readonly encoding: Encoding;
  /** Bytes of BOM to skip at the start of the file. */
  readonly bomLength: number;
  /** How the encoding was chosen, for check output and notices. */
  readonly how: 'bom' | 'configured' | 'valid UTF-8' | 'not valid UTF-8' | 'UTF-16 without BOM';
}

/** Bytes per code unit: an ASCII character (a line end, a `sep=` line) takes 2 in UTF-16, else 1. */
export function codeUnitBytes(encoding: Encoding): 1 | 2 {
  return encoding === 'utf-16le' || encoding === 'utf-16be' ? 2 : 1;
}

const BOMS: readonly { readonly encoding: Encoding; readonly bytes: readonly number[] }[] = [
  { encoding: 'utf-8', bytes: [0xef, 0xbb, 0xbf] },
  { encoding: 'utf-16le', bytes: [0xff, 0xfe] },
  { encoding: 'utf-16be', bytes: [0xfe, 0xff] },
];

export function detectBom(buf: Uint8Array): { encoding: Encoding; length: number } | undefined {
  for (const bom of BOMS) {
    if (buf.length >= bom.bytes.length && bom.bytes.every((b, i) => buf[i] === b)) {
      return { encoding: bom.encoding, length: bom.bytes.length };
    }
  }
  return undefined;
}

/** Picks the encoding from the first bytes of a file. `whole` = the sample is the entire file. */
export function chooseEncoding(sample: Buffer, _whole: boolean, setting: EncodingSetting): EncodingChoice {
  const bom = detectBom(sample);
  if (setting !== 'auto') {
    return { encoding: setting, bomLength: bom?.encoding === setting ? bom.length : 0, how: 'configured' };
  }
  if (bom) return { encoding: bom.encoding, bomLength: bom.length, how: 'bom' };
  const utf16 = utf16WithoutBom(sample);
  if (utf16) return { encoding: utf16, bomLength: 0, how: 'UTF-16 without BOM' };
  // A whole file ending inside a UTF-8 sequence is UTF-8 cut off (the decoder says so), not Windows-1252.
  const end = utf8CompleteLength(sample);
  return isUtf8(sample.subarray(0, end))
    ? { encoding: 'utf-8', bomLength: 0, how: 'valid UTF-8' }
    : { encoding: 'windows-1252', bomLength: 0, how: 'not valid UTF-8' };
}

/** Mostly-ASCII text in UTF-16 has a NUL in every other byte; binary data does not look like that. */
function utf16WithoutBom(sample: Uint8Array): Encoding | undefined {
  const n = Math.min(sample.length, 4096) & ~1;
  if (n < 8) return undefined;
  let evenZero = 0;
  let oddZero = 0;
  for (let i = 0; i < n; i += 2) {
    if (sample[i] === 0) evenZero++;
    if (sample[i + 1] === 0) oddZero++;
  }
  const pairs = n / 2;
  if (oddZero > pairs * 0.3 && evenZero < pairs * 0.02) return 'utf-16le';
  if (evenZero > pairs * 0.3 && oddZero < pairs * 0.02) return 'utf-16be';
  return undefined;
}

/** Length of the prefix of `buf` that does not end inside a UTF-8 sequence. */
export function utf8CompleteLength(buf: Uint8Array): number {
  const n = buf.length;
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const size = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return n - i < size ? i : n;
  }
  return n;
}

/** Offset of the first byte that is not valid UTF-8, or -1. Only used on the error path. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  const n = buf.length;
  let i = 0;
  while (i < n) {
    const b = buf[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    if (i + need >= n) return i;
    const second = buf[i + 1]!;
    if (second < lo || second > hi) return i;
    for (let k = 2; k <= need; k++) {
      const c = buf[i + k]!;
      if (c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** The sample as text, for delimiter detection and the "is this text at all" check. */
export function decodeSample(sample: Buffer, choice: EncodingChoice, whole: boolean): string {
  const body = sample.subarray(choice.bomLength);
  switch (choice.encoding) {
    case 'utf-8':
      return body.toString('utf8', 0, whole ? body.length : utf8CompleteLength(body));
    case 'windows-1252':
      return iconv.decode(body, 'windows-1252');
    default:
      return new TextDecoder(choice.encoding, { ignoreBOM: true }).decode(body.subarray(0, body.length & ~1));
  }
}

const SIGNATURES: readonly { readonly bytes: readonly number[]; readonly what: string }[] = [
  { bytes: [0x50, 0x4b, 0x03, 0x04], what: 'an Excel workbook (.xlsx) or another ZIP file' },
  { bytes: [0xd0, 0xcf, 0x11, 0xe0], what: 'an old Excel workbook (.xls) or another Office file' },
  { bytes: [0x25, 0x50, 0x44, 0x46], what: 'a PDF document' },
];

/**
 * Why the sample is not text, or undefined. `text` is the decoded sample: NUL characters or
 * more than 1% control characters / undecodable bytes mean binary data.
 */
export function binaryProblem(sample: Uint8Array, text: string): string | undefined {
  for (const sig of SIGNATURES) {
    if (sig.bytes.every((b, i) => sample[i] === b)) return `it is ${sig.what}, not a CSV text file`;
  }
  if (text.includes('\0')) return 'it contains NUL bytes: binary data, not text';
  let odd = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // C0 controls except tab, LF, VT, FF, CR and the DOS end-of-file mark; DEL; replacement chars.
    if (
      (c < 0x20 && c !== 9 && c !== 10 && c !== 11 && c !== 12 && c !== 13 && c !== 26) ||
      c === 0x7f ||
      c === 0xfffd
    ) {
      odd++;
    }
  }
  return odd > Math.max(2, text.length / 100)
    ? 'it is mostly control characters or undecodable bytes: binary data, not text'
    : undefined;
}

/** `cut`: the file ends inside a multi-byte character (a UTF-8 sequence or a UTF-16 unit or pair). */
export type DecodeProblem = 'not-utf-8' | 'binary' | 'not-utf-16' | 'cut';

/** A problem found while streaming; `byteOffset` is from the start of the file. */
export class DecodeError extends Error {
  readonly problem: DecodeProblem;
  readonly byteOffset: number;
  constructor(problem: DecodeProblem, byteOffset: number, message: string) {
    super(message);
    this.name = 'DecodeError';
    this.problem = problem;
    this.byteOffset = byteOffset;
  }
}

/**
 * A Transform from the file's bytes (after the BOM, or whatever else the caller skipped) to UTF-8
 * bytes. `start`: the file offset of its first byte, so an error's byteOffset is the file's.
 */
export function createDecoder(choice: EncodingChoice, start = choice.bomLength): Transform {
  switch (choice.encoding) {
    case 'utf-8':
      return new Utf8Check(start);
    case 'windows-1252':
      return new Windows1252Decoder(start);
    default:
      return new Utf16Decoder(choice.encoding, start);
  }
}

/** A NUL byte means binary data (a single-byte or UTF-8 text never has one); `start` is the chunk's file offset. */
function nulError(chunk: Buffer, start: number): DecodeError | undefined {
  const nul = chunk.indexOf(0);
  return nul === -1
    ? undefined
    : new DecodeError('binary', start + nul, 'it contains NUL bytes: binary data, not text');
}

/**
 * A decoder of byte-oriented input (UTF-8, Windows-1252): knows each chunk's file offset and fails
 * on a NUL byte before the chunk is decoded.
 */
abstract class ByteDecoder extends Transform {
  protected offset: number;

  constructor(start: number) {
    super();
    this.offset = start;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const start = this.offset;
    this.offset += chunk.length;
    const binary = nulError(chunk, start);
    if (binary) {
      done(binary);
      return;
    }
    this.decodeChunk(chunk, start, done);
  }

  /** `start` is the chunk's file offset. */
  protected abstract decodeChunk(chunk: Buffer, start: number, done: TransformCallback): void;
}

/** Passes UTF-8 through unchanged, failing on NUL bytes or invalid sequences (split characters are carried). */
class Utf8Check extends ByteDecoder {
  private carry: Buffer | undefined;

  protected override decodeChunk(chunk: Buffer, start: number, done: TransformCallback): void {
    const carried = this.carry?.length ?? 0;
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    const end = utf8CompleteLength(buf);
    this.carry = end < buf.length ? Buffer.from(buf.subarray(end)) : undefined;
    const whole = buf.subarray(0, end);
    if (!isUtf8(whole)) {
      done(
        new DecodeError(
          'not-utf-8',
          start - carried + Math.max(0, firstInvalidUtf8(whole)),
          'not valid UTF-8',
        ),
      );
      return;
    }
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    if (this.carry) {
      done(
        new DecodeError('cut', this.offset - this.carry.length, 'it ends in the middle of a UTF-8 character'),
      );
      return;
    }
    done();
  }
}

class Windows1252Decoder extends ByteDecoder {
  private readonly decoder = iconv.getDecoder('windows-1252');

  protected override decodeChunk(chunk: Buffer, _start: number, done: TransformCallback): void {
    const text = this.decoder.write(chunk);
    done(null, text.length > 0 ? Buffer.from(text, 'utf8') : undefined);
  }

  override _flush(done: TransformCallback): void {
    const rest = this.decoder.end();
    done(null, rest ? Buffer.from(rest, 'utf8') : undefined);
  }
}

class Utf16Decoder extends Transform {
  private offset: number;
  private readonly decoder: TextDecoder;

  constructor(encoding: 'utf-16le' | 'utf-16be', start: number) {
    super();
    this.offset = start;
    this.decoder = new TextDecoder(encoding, { fatal: true, ignoreBOM: true });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const start = this.offset;
    this.offset += chunk.length;
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      done(new DecodeError('not-utf-16', start, 'not valid UTF-16 (a broken surrogate pair)'));
      return;
    }
    const nul = text.indexOf('\0');
    if (nul !== -1) {
      done(new DecodeError('binary', start + nul * 2, 'it contains NUL characters: binary data, not text'));
      return;
    }
    done(null, text.length > 0 ? Buffer.from(text, 'utf8') : undefined);
  }

  override _flush(done: TransformCallback): void {
    let rest: string;
    try {
      rest = this.decoder.decode();
    } catch {
      done(new DecodeError('cut', this.offset, 'it ends in the middle of a UTF-16 character'));
      return;
    }
    done(null, rest ? Buffer.from(rest, 'utf8') : undefined);
  }
}

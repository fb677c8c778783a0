// Streaming building blocks for corpus files: byte lines with UTF-8 checks, and an RFC 4180 CSV record assembler.
import { createReadStream } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { inputError } from '../config/problems.js';

/** One physical line of a file: text without the `\n` (a `\r` before it is kept), 1-based number, UTF-8 validity. */
export interface RawLine {
  text: string;
  no: number;
  utf8: boolean;
}

export const DEFAULT_MAX_ROW_BYTES = 64 * 1024 * 1024;

/**
 * The file's lines in batches (one batch per read chunk), so that consumers loop synchronously within a chunk.
 * Memory stays at one chunk plus the longest line; a line longer than `maxLineBytes` is an InputError.
 */
export async function* lineBatches(file: string, maxLineBytes = DEFAULT_MAX_ROW_BYTES): AsyncGenerator<RawLine[]> {
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  let parts: Buffer[] = [];
  let partsLen = 0;
  let no = 0;
  const decode = (bytes: Buffer): RawLine => {
    no++;
    const utf8 = isUtf8(bytes);
    let text = bytes.toString('utf8');
    if (no === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { text, no, utf8 };
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const batch: RawLine[] = [];
      let pos = 0;
      for (;;) {
        const nl = chunk.indexOf(10, pos);
        if (nl < 0) {
          if (pos < chunk.length) {
            parts.push(chunk.subarray(pos));
            partsLen += chunk.length - pos;
            if (partsLen > maxLineBytes) {
              throw inputError(file, no + 1, '', `line is longer than ${maxLineBytes} bytes`);
            }
          }
          break;
        }
        let bytes = chunk.subarray(pos, nl);
        if (parts.length) {
          parts.push(bytes);
          bytes = Buffer.concat(parts);
          parts = [];
          partsLen = 0;
        }
        batch.push(decode(bytes));
        pos = nl + 1;
      }
      if (batch.length) yield batch;
    }
    if (parts.length) yield [decode(Buffer.concat(parts))];
  } finally {
    stream.destroy();
  }
}

/** A CSV record: its fields, the line it starts on, and why it is malformed (if it is). */
export interface CsvRecord {
  fields: string[];
  line: number;
  error?: string;
}

/**
 * Assembles RFC 4180 records from physical lines: quoted fields may hold commas, `""` and line breaks.
 * Feed lines with `push` (returns a finished record or null while a quoted field continues), then call `end`.
 * Blank lines between records are skipped. A record longer than `maxRowChars` is an InputError: the rest of the file
 * cannot be parsed reliably (a quote is probably not closed).
 */
export class CsvAssembler {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  private inRecord = false;
  private startLine = 0;
  private size = 0;
  private error: string | undefined;

  constructor(
    private readonly file: string,
    private readonly maxRowChars = DEFAULT_MAX_ROW_BYTES,
  ) {}

  push(line: RawLine): CsvRecord | null {
    let s = line.text;
    let i = 0;
    if (!this.inRecord) {
      if (s.trim() === '') return null;
      this.inRecord = true;
      this.startLine = line.no;
      this.fields = [];
      this.field = '';
      this.size = 0;
      this.error = undefined;
      if (s[0] === '"') {
        this.inQuotes = true;
        i = 1;
      }
    } else {
      this.field += '\n';
    }
    if (!line.utf8) this.error ??= 'not valid UTF-8 text';
    this.size += s.length + 1;
    if (this.size > this.maxRowChars) {
      throw inputError(
        this.file,
        this.startLine,
        '',
        `row is longer than ${this.maxRowChars} characters (is a quote not closed?)`,
      );
    }
    for (;;) {
      if (this.inQuotes) {
        const j = s.indexOf('"', i);
        if (j < 0) {
          this.field += s.slice(i);
          return null; // the quoted field goes on on the next line
        }
        this.field += s.slice(i, j);
        if (s[j + 1] === '"') {
          this.field += '"';
          i = j + 2;
          continue;
        }
        this.inQuotes = false;
        i = j + 1;
        if (i >= s.length || (i === s.length - 1 && s[i] === '\r')) return this.finish();
        if (s[i] === ',') {
          i = this.nextField(s, i + 1);
          continue;
        }
        this.error ??= `unexpected character after a closing quote in column ${this.fields.length + 1}`;
      }
      // unquoted (rest of a) field
      const j = s.indexOf(',', i);
      if (j < 0) {
        if (s.endsWith('\r')) s = s.slice(0, -1);
        this.field += s.slice(i);
        return this.finish();
      }
      this.field += s.slice(i, j);
      i = this.nextField(s, j + 1);
    }
  }

  /** Call at end of file: a record still open is returned with an error (an unterminated quote). */
  end(): CsvRecord | null {
    if (!this.inRecord) return null;
    this.error ??= 'a quoted field is not closed before the end of the file';
    this.inQuotes = false;
    return this.finish();
  }

  private nextField(s: string, i: number): number {
    this.fields.push(this.field);
    this.field = '';
    if (s[i] === '"') {
      this.inQuotes = true;
      return i + 1;
    }
    return i;
  }

  private finish(): CsvRecord {
    this.fields.push(this.field);
    this.field = '';
    this.inRecord = false;
    const rec: CsvRecord = { fields: this.fields, line: this.startLine };
    if (this.error) rec.error = this.error;
    this.fields = [];
    return rec;
  }
}

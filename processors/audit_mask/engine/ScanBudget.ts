/**
 * The per-record scanning budget: at most `bytesMax` UTF-8 bytes of string
 * values are scanned per record. The string that crosses the limit is scanned
 * up to it; what is left of it, and every later string of the record, is not
 * scanned — the caller replaces it with a redaction (the safe choice: data
 * that was not inspected is not let through) and `unscannedBytes` counts it.
 */

export class ScanBudget {
  private remaining: number;
  unscannedBytes = 0;

  constructor(bytesMax: number) {
    this.remaining = bytesMax;
  }

  /** Starts a new record's budget (the processor keeps one ScanBudget and resets it per record). */
  reset(bytesMax: number): void {
    this.remaining = bytesMax;
    this.unscannedBytes = 0;
  }

  /** Charges `bytes` (a whole string's UTF-8 length, already known) when they fit: true; else charges nothing. */
  takeWhole(bytes: number): boolean {
    if (bytes > this.remaining) return false;
    this.remaining -= bytes;
    return true;
  }

  /** How many leading UTF-16 code units of `text` may be scanned (all of them, some, or 0). */
  take(text: string): number {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes <= this.remaining) {
      this.remaining -= bytes;
      return text.length;
    }
    const cut = utf8Prefix(text, this.remaining);
    this.unscannedBytes += bytes - Buffer.byteLength(text.slice(0, cut), 'utf8');
    this.remaining = 0;
    return cut;
  }
}

/** The longest prefix of `text` (in code units) whose UTF-8 encoding fits in `bytesMax`; never splits a surrogate pair. */
function utf8Prefix(text: string, bytesMax: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length;
    const size = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (bytes + size > bytesMax) break;
    bytes += size;
    i += pair ? 2 : 1;
  }
  return i;
}

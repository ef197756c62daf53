/**
 * The projection of the last resource (or scope) the wire-level writer
 * wrote, keyed by its wire bytes: the Resource message and the ResourceLogs
 * `schema_url` (the InstrumentationScope and the ScopeLogs `schema_url`).
 * Records of one WAL share them, and they are ~20% of the projection. The
 * same bytes always make the same projection (and the same elements), so a
 * hit appends the bytes written the first time. Only small parts are kept.
 */

/** Wire bytes of a part kept at most: a resource larger than this is written each time. */
const KEY_BYTES_MAX = 4096;
/** Keys up to this long are compared by a loop; longer ones by `Buffer#compare`. */
const LOOP_COMPARE_BYTES_MAX = 64;

export class WirePartCache {
  #key: Buffer = Buffer.alloc(0);
  #split = 0;
  #bytes: Uint8Array | undefined;
  /** Protobuf elements inside the part (its attributes' KeyValues and AnyValues). */
  elements = 0;

  /** The projection bytes of the part `src[a, aEnd) + src[b, bEnd)` (-1: absent, empty), if kept. */
  lookup(src: Buffer, a: number, aEnd: number, b: number, bEnd: number): Uint8Array | undefined {
    const bytes = this.#bytes;
    if (bytes === undefined) return undefined;
    const key = this.#key;
    const split = this.#split;
    const aBytes = aEnd - a;
    if (aBytes !== split || bEnd - b !== key.length - split) return undefined;
    if (!same(src, a, key, 0, aBytes) || !same(src, b, key, split, key.length - split)) return undefined;
    return bytes;
  }

  /** Keeps `bytes` (a copy, owned here) as the projection of that part, with its `elements`. */
  keep(
    src: Buffer,
    a: number,
    aEnd: number,
    b: number,
    bEnd: number,
    bytes: Uint8Array,
    elements: number,
  ): void {
    const aBytes = aEnd - a; // 0 for an absent part (-1, -1)
    const bBytes = bEnd - b;
    if (aBytes + bBytes > KEY_BYTES_MAX) return;
    const key = Buffer.allocUnsafe(aBytes + bBytes);
    if (aBytes > 0) src.copy(key, 0, a, aEnd);
    if (bBytes > 0) src.copy(key, aBytes, b, bEnd);
    this.#key = key;
    this.#split = aBytes;
    this.#bytes = bytes;
    this.elements = elements;
  }
}

function same(src: Buffer, at: number, key: Buffer, from: number, n: number): boolean {
  if (n === 0) return true;
  if (n > LOOP_COMPARE_BYTES_MAX) return src.compare(key, from, from + n, at, at + n) === 0;
  for (let i = 0; i < n; i++) if (src[at + i] !== key[from + i]) return false;
  return true;
}

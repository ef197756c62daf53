/**
 * The CRC-32C of a frame's bytes before its CRC field, from the CRC of the WHOLE frame with that field
 * zeroed: `sealFrame` can then hand the frame itself to crc32c instead of a `subarray` of it (a new
 * Buffer per frame: ~40 ns of the ~0.3 µs a frame's CRC cost the event loop in bench:receiver).
 *
 * Why it holds. CRC-32C (reflected, init and final XOR 0xFFFFFFFF) runs a 32-bit register r over the
 * bytes; crc(d) = ~R(~0, d). Four zero bytes after d only shift the register: R(s, 0000) = L(s), where L
 * (multiplication by x^32 modulo the polynomial, in the reflected bit order) is linear over GF(2) and
 * invertible (the polynomial's constant term is 1). So crc(d ‖ 0000) = ~L(~crc(d)), and
 * crc(d) = ~L⁻¹(~crc(d ‖ 0000)). L⁻¹ is linear: applied as four 256-entry tables, one per byte of its
 * argument, built below from L by Gaussian elimination (no constants copied from elsewhere).
 * crcZeroTail.test.ts checks it against crc32c of the prefix for random frames.
 */

/** CRC-32C's polynomial, reflected. */
const POLY_REFLECTED = 0x82f63b78;

/** The register after `zeroBytes` zero bytes from state `s` (the map L for 4 bytes). */
function shiftZeros(s: number, zeroBytes: number): number {
  let r = s >>> 0;
  for (let i = 0; i < 8 * zeroBytes; i++) r = r & 1 ? (r >>> 1) ^ POLY_REFLECTED : r >>> 1;
  return r >>> 0;
}

/** L⁻¹ of each single bit: solves L(x) = 2^j for every j by Gaussian elimination over GF(2). */
function inverseOfBits(): number[] {
  // Rows (L(e_i), e_i), reduced to one row per leading bit of L(e_i).
  const pivots = new Map<number, { readonly v: number; readonly x: number }>();
  for (let i = 0; i < 32; i++) {
    let v = shiftZeros((1 << i) >>> 0, 4);
    let x = (1 << i) >>> 0;
    for (let b = 31; b >= 0; b--) {
      if (((v >>> b) & 1) === 0) continue;
      const p = pivots.get(b);
      if (p === undefined) {
        pivots.set(b, { v, x });
        break;
      }
      v = (v ^ p.v) >>> 0;
      x = (x ^ p.x) >>> 0;
    }
  }
  if (pivots.size !== 32) throw new Error('crcZeroTail: the shift by 4 zero bytes is not invertible');
  const out: number[] = [];
  for (let j = 0; j < 32; j++) {
    let v = (1 << j) >>> 0;
    let x = 0;
    for (let b = 31; b >= 0; b--) {
      if (((v >>> b) & 1) === 0) continue;
      const p = pivots.get(b) as { readonly v: number; readonly x: number };
      v = (v ^ p.v) >>> 0;
      x = (x ^ p.x) >>> 0;
    }
    out.push(x);
  }
  return out;
}

function byteTables(): Uint32Array[] {
  const bits = inverseOfBits();
  return [0, 1, 2, 3].map((k) => {
    const t = new Uint32Array(256);
    for (let b = 0; b < 256; b++) {
      let r = 0;
      for (let i = 0; i < 8; i++) if ((b >> i) & 1) r ^= bits[8 * k + i] as number;
      t[b] = r >>> 0;
    }
    return t;
  });
}

const [T0, T1, T2, T3] = byteTables() as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/** crc32c(d) from crc32c(d ‖ 4 zero bytes). */
export function crcWithoutZeroTail(crcWithZeros: number): number {
  const s = ~crcWithZeros >>> 0;
  const prev =
    (T0[s & 0xff] as number) ^
    (T1[(s >>> 8) & 0xff] as number) ^
    (T2[(s >>> 16) & 0xff] as number) ^
    (T3[s >>> 24] as number);
  return ~prev >>> 0;
}

/**
 * formatProof's bound: a proof verify-proof would refuse to read (over
 * PROOF_BYTES_MAX), or one longer than a JavaScript string, is a typed
 * INVALID_ARGUMENT error naming the proof, not a RangeError (CLI exit 4).
 */
import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_BY_ERROR_CODE } from '../../cli/exitCodes.ts';
import { catchError } from '../../otlp/testutil/wire.ts';
import { ProofTooLargeError } from './errors.ts';
import { formatProof, PROOF_BYTES_MAX, type InclusionProofDocument } from './ProofDocument.ts';

function inclusion(record: Record<string, unknown>): InclusionProofDocument {
  return {
    type: 'inclusion',
    v: 1,
    stream_id: 's',
    leaf_index: 6,
    tree_size: 10,
    record_hash: 'ab'.repeat(32),
    leaf_hash: 'cd'.repeat(32),
    record,
    inclusion_path: [],
    checkpoint: {},
  };
}

describe('formatProof', () => {
  it('writes indented JSON with a final newline, within the bound', () => {
    const proof = inclusion({ body: 'x' });
    const text = formatProof(proof);
    expect(text).toBe(`${JSON.stringify(proof, null, 2)}\n`);
    expect(formatProof(proof, Buffer.byteLength(text))).toBe(text);
  });

  it('refuses a text one byte over the bound, saying how large it would be', () => {
    const proof = inclusion({ body: 'x' });
    const bytes = Buffer.byteLength(formatProof(proof));
    const error = catchError(() => formatProof(proof, bytes - 1));
    expect(error).toBeInstanceOf(ProofTooLargeError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', proofBytes: bytes, proofBytesMax: bytes - 1 });
    expect((error as Error).message).toBe(
      `the inclusion proof of record 7 of stream s would be ${bytes} bytes, more than the ${bytes - 1} bytes verify-proof reads (PROOF_BYTES_MAX): not written`,
    );
    expect(EXIT_BY_ERROR_CODE[(error as ProofTooLargeError).code]).toBe(EXIT.INVALID);
  });

  it('refuses before building the text when its strings alone are over the bound', () => {
    const error = catchError(() => formatProof(inclusion({ body: 'y'.repeat(1000) }), 500));
    expect(error).toBeInstanceOf(ProofTooLargeError);
    expect((error as Error).message).toMatch(
      /^the inclusion proof of record 7 of stream s would be at least \d+ bytes/,
    );
  });

  it('turns the RangeError of a text longer than a string into ProofTooLargeError', () => {
    // What JSON.stringify throws past V8's string length (~2^29), without building such a string.
    const record = {
      toJSON: () => {
        throw new RangeError('Invalid string length');
      },
    };
    const error = catchError(() => formatProof(inclusion(record)));
    expect(error).toBeInstanceOf(ProofTooLargeError);
    expect((error as Error).message).toBe(
      `the inclusion proof of record 7 of stream s would be longer than a JavaScript string can be, more than the ${PROOF_BYTES_MAX} bytes verify-proof reads (PROOF_BYTES_MAX): not written`,
    );
    expect(
      catchError(() =>
        formatProof(
          inclusion({
            toJSON: () => {
              throw new TypeError('other');
            },
          }),
        ),
      ),
    ).toBeInstanceOf(TypeError);
  });

  it('at the default bound: 11 MiB of control characters are 66 MiB of JSON, more than verify-proof reads', () => {
    const body = '\u0001'.repeat(Math.ceil(PROOF_BYTES_MAX / 6)); // each is \u0001 (6 bytes) in JSON
    const error = catchError(() => formatProof(inclusion({ body })));
    expect(error).toBeInstanceOf(ProofTooLargeError);
    expect((error as ProofTooLargeError).proofBytes).toBeGreaterThan(PROOF_BYTES_MAX);
  });
});

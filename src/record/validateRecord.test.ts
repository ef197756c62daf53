import { describe, expect, it } from 'vitest';
import type { AnyValue } from './AnyValue.ts';
import { createAuditRecord, createAuditResource, type AuditRecord } from './AuditRecord.ts';
import { RecordInvalidError } from './errors.ts';
import { validateRecord } from './validateRecord.ts';

function problem(record: AuditRecord): string {
  try {
    validateRecord(record);
  } catch (error) {
    expect(error).toBeInstanceOf(RecordInvalidError);
    expect((error as RecordInvalidError).code).toBe('RECORD_INVALID');
    return (error as Error).message;
  }
  return 'valid';
}

describe('validateRecord', () => {
  it('accepts every valid kind and the extremes', () => {
    const body: AnyValue = [
      '',
      true,
      -(2n ** 63n),
      2n ** 63n - 1n,
      NaN,
      -0,
      new Uint8Array(0),
      null,
      [],
      { values: [] },
    ];
    expect(problem(createAuditRecord({ body, timeUnixNano: 2n ** 64n - 1n, flags: 0xffff_ffff }))).toBe(
      'valid',
    );
  });

  it('names the path and the problem', () => {
    const cases: [Partial<AuditRecord>, string][] = [
      [{ timeUnixNano: -1n }, 'timeUnixNano: expected a bigint in [0, 2^64)'],
      [
        { observedTimeUnixNano: 5 as unknown as bigint },
        'observedTimeUnixNano: expected a bigint in [0, 2^64)',
      ],
      [{ severityNumber: 1.5 }, 'severityNumber: expected an int32'],
      [{ flags: -1 }, 'flags: expected a uint32'],
      [
        { traceId: '5B8EFFF798038103D269B633813FC60C' },
        "traceId: expected 32 lowercase hex characters or ''",
      ],
      [{ spanId: 'abc' }, "spanId: expected 16 lowercase hex characters or ''"],
      [{ severityText: 'a\ud800' }, 'severityText: string is not well-formed UTF-16 (lone surrogate)'],
      [{ body: [1n, [2n ** 64n]] }, 'body[1][0]: int64 out of range'],
      [
        { body: { values: [{ key: 'k', value: undefined as unknown as AnyValue }] } },
        'body.values[0].value: expected an AnyValue, got undefined',
      ],
      [
        {
          attributes: [
            { key: 'a', value: 1n },
            { key: '\udc00', value: 1n },
          ],
        },
        'attributes[1].key: string is not well-formed UTF-16 (lone surrogate)',
      ],
      [
        {
          resource: createAuditResource({
            attributes: [{ key: 'x', value: { bad: 1 } as unknown as AnyValue }],
          }),
        },
        'resource.attributes[0].value: expected an AnyValue',
      ],
    ];
    for (const [init, message] of cases) expect(problem(createAuditRecord(init))).toBe(message);
  });

  it('rejects nesting beyond 32 levels and circular values without overflowing the stack', () => {
    const circular: AnyValue[] = [];
    circular.push(circular);
    expect(problem(createAuditRecord({ body: circular }))).toMatch(
      /^body(\[0\]){32}: AnyValue nested deeper than 32 levels/,
    );
    let deep: AnyValue = 1n;
    for (let i = 1; i < 32; i++) deep = [deep];
    expect(problem(createAuditRecord({ body: deep }))).toBe('valid');
    expect(problem(createAuditRecord({ body: [deep] }))).toMatch(/nested deeper than 32/);
  });
});

/**
 * WalReader's `copyPayloads: false`: payloads are views of the reader's chunk
 * buffer (no copy per record), valid until the next record is asked for; by
 * default each payload is a copy of its own, and the bytes are the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_HEADER_BYTES, FRAME_OVERHEAD_BYTES } from './format.ts';
import { openWalReadOnly } from './readOnly.ts';
import { payloadFor } from './testutil/frames.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import { Wal } from './Wal.ts';

const tmp = makeTempDir('otel-audit-reader-views-');
afterAll(() => tmp.cleanup());
const dir = `${tmp.dir}/wal`;
const RECORDS = 20;

beforeAll(async () => {
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
  for (let i = 1; i <= RECORDS; i++) await wal.append(payloadFor('view', i));
  await wal.close();
});

/** Each payload's bytes (as read), and whether it is a view of the file's bytes: its frame header before it. */
function read(copyPayloads: boolean | undefined): { bytes: string[]; views: boolean[] } {
  const ro = openWalReadOnly({ dir, verify: 'once' });
  const bytes: string[] = [];
  const views: boolean[] = [];
  for (const r of ro.reader.records(copyPayloads === undefined ? {} : { copyPayloads })) {
    bytes.push(r.payload.toString('latin1'));
    const at = r.payload.byteOffset - FRAME_HEADER_BYTES;
    const header = at >= 0 ? Buffer.from(r.payload.buffer, at, FRAME_HEADER_BYTES) : undefined;
    views.push(
      header !== undefined &&
        header.readUInt32LE(0) === r.payload.length + FRAME_OVERHEAD_BYTES &&
        header.readUInt32LE(8) === r.seq,
    );
  }
  return { bytes, views };
}

describe('WalReader copyPayloads', () => {
  const expected = Array.from({ length: RECORDS }, (_, i) => payloadFor('view', i + 1).toString('latin1'));

  it('false: the same bytes, as views of the bytes read from the file', () => {
    const r = read(false);
    expect(r.bytes).toEqual(expected);
    expect(r.views).toEqual(expected.map(() => true));
  });

  it('by default (or true): the same bytes, copied', () => {
    for (const copyPayloads of [undefined, true]) {
      const r = read(copyPayloads);
      expect(r.bytes).toEqual(expected);
      expect(r.views).toEqual(expected.map(() => false));
    }
  });
});

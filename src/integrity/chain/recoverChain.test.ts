/**
 * recoverChain at start on a hostile WAL: a CRC-valid record frame beyond
 * verify's element budget and an oversized checkpoint frame are problems
 * (logged by the exporter), not an out-of-memory abort of the collector's
 * start; the chain recovers from the frames it can read and goes on intact.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAuditRecord, type AuditRecord } from '../../record/AuditRecord.ts';
import { FrameType } from '../../wal/format.ts';
import { encodeRecord } from '../../record/walCodec.ts';
import { Wal } from '../../wal/Wal.ts';
import { RECORD_ELEMENTS_MAX_DEFAULT } from '../verify/decodeStoredRecord.ts';
import { hostileRecordPayload, withUnknownLogRecordField } from '../verify/testutil/hostilePayload.ts';
import { recordHash } from '../canonical/projection.ts';
import { ChainSequencer, UNSIGNED } from './ChainSequencer.ts';
import { ChainState } from './ChainState.ts';
import { CHECKPOINT_PAYLOAD_BYTES_MAX, decodeSignedCheckpoint } from './checkpoint.ts';
import { recoverChain } from './recoverChain.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-recover-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const STREAM = 's-1';

/** Appends chained records through the WAL's sequencer (as audit_wal does): a checkpoint every 3 records. */
function chainedWriter(
  wal: Wal,
  chain: ChainState,
): (records: readonly (string | AuditRecord)[]) => Promise<number> {
  const sequencer = new ChainSequencer(
    { chain, signer: UNSIGNED, checkpointEveryRecords: 3, checkpointEveryMs: 3_600_000, clock: () => 1n },
    0,
  );
  wal.setSequencer({ snapshot: () => sequencer.snapshot(), restore: (state) => sequencer.restore(state) });
  return (records) =>
    wal.appendDeferred(
      records.map((r) =>
        sequencer.deferredRecord(typeof r === 'string' ? createAuditRecord({ body: r }) : r, 1n, 512),
      ),
    );
}

/** Opens the WAL in `dir` (no syncs, no preallocation), runs `use` on it, and closes it (also when `use` throws). */
async function withWal<T>(
  dir: string,
  use: (wal: Wal) => T | Promise<T>,
  options: { payloadBytesMax?: number } = {},
): Promise<T> {
  const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off', ...options });
  try {
    return await use(wal);
  } finally {
    await wal.close();
  }
}

/** 20 attributes `k<i>`: 'v' (a record holding them is beyond a decode budget of 10 elements). */
const twentyAttributes = () => Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: 'v' }));

/** Record r4 of STREAM after `chain`'s head, beyond the budget (20 attributes) and without a stored hash. */
function r4WithoutHash(chain: ChainState): AuditRecord {
  return createAuditRecord({
    body: 'r4',
    attributes: [
      ...twentyAttributes(),
      { key: 'audit.sequence.stream_id', value: STREAM },
      { key: 'audit.sequence.number', value: 4n },
      {
        key: 'audit.sequence.previous_hash',
        value: Buffer.from(chain.head as Uint8Array).toString('hex'),
      },
    ],
  });
}

/**
 * Appends r1, r2, r3 (20 attributes each) linked into `chain`, r2 passed to `changeR2` once linked;
 * returns r3's seq.
 */
async function appendLinked(
  wal: Wal,
  chain: ChainState,
  changeR2: (r: AuditRecord) => void,
): Promise<number> {
  let seq = 0;
  for (const body of ['r1', 'r2', 'r3']) {
    const r = createAuditRecord({ body, attributes: twentyAttributes() });
    chain.link(r);
    if (body === 'r2') changeR2(r);
    seq = await wal.append(encodeRecord(r));
  }
  return seq;
}

describe('recoverChain on a hostile WAL', () => {
  it('reports a record beyond the element budget and an oversized checkpoint, and recovers the chain', async () => {
    const dir = path.join(root, 'hostile');
    const options = { payloadBytesMax: 8 * 1024 * 1024 };
    const chain = new ChainState(STREAM);
    const { hostileSeq, bigCheckpointSeq } = await withWal(
      dir,
      async (wal) => {
        const chained = chainedWriter(wal, chain);
        await chained(['r1', 'r2', 'r3']); // r1 r2 r3 checkpoint(3)
        // Past the budget by one element: ~4 MiB of empty attributes (the old decoder built them all).
        const hostileSeq = await wal.append(hostileRecordPayload(RECORD_ELEMENTS_MAX_DEFAULT + 1));
        const json = Buffer.from(`[${'{},'.repeat(CHECKPOINT_PAYLOAD_BYTES_MAX / 3)}{}]`);
        const bigCheckpointSeq = await wal.append(json, { type: FrameType.CHECKPOINT });
        await chained(['r4']);
        return { hostileSeq, bigCheckpointSeq };
      },
      options,
    );

    await withWal(
      dir,
      (readBack) => {
        const recovered = recoverChain(readBack.reader(), STREAM);
        expect(recovered.problems).toEqual([
          expect.stringMatching(
            new RegExp(
              `^checkpoint at seq ${bigCheckpointSeq} is unreadable: .*more than a checkpoint can be.*not parsed`,
            ),
          ),
        ]);
        // Beyond the budget, so not decoded: its chain attributes are read from its bytes (it has none).
        expect(recovered.notes).toEqual([
          expect.stringMatching(
            new RegExp(
              `^record at seq ${hostileSeq} is beyond recovery's decode budget \\(the record at WAL seq ${hostileSeq} .* more than ${RECORD_ELEMENTS_MAX_DEFAULT} protobuf elements.*not a record of stream ${STREAM}$`,
            ),
          ),
        ]);
        expect(recovered.broken).toBe(false);
        expect(recovered.chain.size).toBe(4);
        expect(recovered.chain.head).toEqual(chain.head);
        expect(recovered.lastCheckpointSize).toBe(3);
        expect(recovered.replayed).toBe(1); // r4: the hostile frame after the checkpoint is read, and skipped
      },
      options,
    );
  });

  it('re-hashes a record of the stream beyond the decode budget from its protobuf bytes (not decoded)', async () => {
    // A chained record beyond the budget (a receiver with a larger max_elements_per_request, or the SDK,
    // can store one) that is the stream's last: its hash is recomputed from its protobuf bytes in bounded
    // memory (canonical/wireProjection.ts) — the hash decoding it gives.
    const dir = path.join(root, 'last-beyond-budget');
    const chain = new ChainState(STREAM);
    const bigSeq = await withWal(dir, async (wal) => {
      const chained = chainedWriter(wal, chain);
      await chained(['r1', 'r2', 'r3']); // r1 r2 r3 checkpoint(3)
      return chained([createAuditRecord({ body: 'r4', attributes: twentyAttributes() })]);
    });
    expect(chain.size).toBe(4);
    await withWal(dir, (readBack) => {
      const recovered = recoverChain(readBack.reader(), STREAM, { recordElementsMax: 10 });
      expect(recovered).toMatchObject({ broken: false, problems: [], replayed: 1, lastCheckpointSize: 3 });
      expect(recovered.chain.size).toBe(4);
      expect(recovered.chain.head).toEqual(chain.head);
      expect(recovered.chain.root()).toEqual(chain.root());
      expect(recovered.notes).toEqual([
        expect.stringMatching(
          new RegExp(
            `^record at seq ${bigSeq} is beyond .* re-hashed from its protobuf bytes without decoding it$`,
          ),
        ),
      ]);
      // Decoded (a budget that holds it), the same.
      const whole = recoverChain(readBack.reader(), STREAM);
      expect(whole).toMatchObject({ broken: false, problems: [], notes: [] });
      expect(whole.chain.head).toEqual(chain.head);
    });
  });

  it('does not resume over a record it cannot read when no record of the stream follows it (no fork)', async () => {
    // The stream's last record may be the frame not read: resuming at the record before it would give the
    // next record its number again. The chain is reported broken, so the writer starts a new stream.
    const dir = path.join(root, 'last-unreadable');
    const chain = new ChainState(STREAM);
    const seqs: number[] = [];
    await withWal(dir, async (wal) => {
      const chained = chainedWriter(wal, chain);
      await chained(['r1', 'r2', 'r3']); // r1 r2 r3 checkpoint(3)
      // Undecodable (an unknown encoding version), then beyond the budget and of the stream, but without a
      // stored hash (read without decoding, its hash is not known).
      seqs.push(await wal.append(Uint8Array.of(0x7f, 1, 2)));
      const noHash = r4WithoutHash(chain);
      // With a field the wire-level projection leaves to decoding: its chain attributes are only scanned.
      seqs.push(await wal.append(withUnknownLogRecordField(encodeRecord(noHash))));
    });
    await withWal(dir, (readBack) => {
      const recovered = recoverChain(readBack.reader(), STREAM, { recordElementsMax: 10 });
      expect(recovered.broken).toBe(true);
      expect(recovered.chain.size).toBe(3);
      expect(recovered.problems.join('\n')).toMatch(
        new RegExp(
          `record at seq ${seqs[0]} cannot be decoded: .*\\n` +
            `record at seq ${seqs[1]} is beyond .* carries no valid audit.integrity.hash.*\\n` +
            `.*seq ${seqs[0]} was not decoded and no record of stream ${STREAM} follows it`,
          's',
        ),
      );
    });
  });

  it('re-hashes a record beyond the budget that carries no stored hash: the chain goes on (was broken)', async () => {
    const dir = path.join(root, 'beyond-budget-no-hash');
    const chain = new ChainState(STREAM);
    const { noHash, seq } = await withWal(dir, async (wal) => {
      await chainedWriter(wal, chain)(['r1', 'r2', 'r3']); // r1 r2 r3 checkpoint(3)
      const noHash = r4WithoutHash(chain);
      return { noHash, seq: await wal.append(encodeRecord(noHash)) };
    });
    await withWal(dir, (readBack) => {
      const recovered = recoverChain(readBack.reader(), STREAM, { recordElementsMax: 10 });
      expect(recovered).toMatchObject({ broken: false, problems: [], replayed: 1 });
      expect(recovered.notes).toEqual([
        expect.stringMatching(new RegExp(`^record at seq ${seq} is beyond .* re-hashed`)),
      ]);
      expect(recovered.chain.size).toBe(4);
      expect(recovered.chain.head).toEqual(recordHash(noHash));
    });
  });

  it('sees a record beyond the budget modified after it was chained, and continues from its stored hash', async () => {
    const dir = path.join(root, 'beyond-budget-modified');
    const chain = new ChainState(STREAM);
    const seq = await withWal(dir, (wal) =>
      appendLinked(wal, chain, (r2) => {
        r2.body = 'changed';
      }),
    );
    await withWal(dir, (readBack) => {
      const recovered = recoverChain(readBack.reader(), STREAM, { recordElementsMax: 10 });
      expect(recovered.problems).toEqual([
        expect.stringMatching(
          new RegExp(`^record at seq ${seq - 1}: its audit.integrity.hash is not its recomputed hash`),
        ),
      ]);
      expect(recovered).toMatchObject({ broken: false, replayed: 3 });
      expect(recovered.chain.head).toEqual(chain.head);
      expect(recovered.chain.root()).toEqual(chain.root());
    });
  });

  it('gives no way out by stripping audit.integrity.hash from a record beyond the budget', async () => {
    // The stored hash is not part of the projection: stripped from an intact record, the re-hashed chain is
    // the same; stripped from a modified record, the chain continues from its recomputed hash, which the
    // next record's link does not name: broken (as for a record within the budget, and as verify sees it).
    const write = async (name: string, modify: boolean): Promise<ChainState> => {
      const chain = new ChainState(STREAM);
      await withWal(path.join(root, name), (w) =>
        appendLinked(w, chain, (r2) => {
          if (modify) r2.body = 'changed';
          r2.attributes = r2.attributes.filter((a) => a.key !== 'audit.integrity.hash');
        }),
      );
      return chain;
    };
    const intact = await write('stripped-intact', false);
    const modified = await write('stripped-modified', true);
    for (const [name, chain, broken] of [
      ['stripped-intact', intact, false],
      ['stripped-modified', modified, true],
    ] as const) {
      await withWal(path.join(root, name), (readBack) => {
        const recovered = recoverChain(readBack.reader(), STREAM, { recordElementsMax: 10 });
        expect(recovered.broken, name).toBe(broken);
        expect(recovered.replayed, name).toBe(3);
        if (broken) {
          expect(recovered.problems).toEqual([
            expect.stringMatching(
              /^record at seq 3: chain number 3 \/ previous hash do not follow record 2$/,
            ),
          ]);
          expect(recovered.chain.root()).not.toEqual(chain.root());
        } else {
          expect(recovered.problems).toEqual([]);
          expect(recovered.chain.root()).toEqual(chain.root());
        }
      });
    }
  });

  it('does not parse a checkpoint payload over CHECKPOINT_PAYLOAD_BYTES_MAX', () => {
    const big = Buffer.alloc(CHECKPOINT_PAYLOAD_BYTES_MAX + 1, 0x20);
    expect(() => decodeSignedCheckpoint(big)).toThrow(/not parsed/);
  });

  it('reads a stream only from its firstSeq: damage before it does not break it', async () => {
    const dir = path.join(root, 'first-seq');
    const { badSeq, nextSeq } = await withWal(dir, async (wal) => {
      await chainedWriter(wal, new ChainState(STREAM))(['r1', 'r2', 'r3']); // r1 r2 r3 checkpoint(3)
      const badSeq = await wal.append(Uint8Array.of(0x7f)); // a record frame that does not decode, last
      return { badSeq, nextSeq: wal.status().nextSeq };
    });
    await withWal(dir, (readBack) => {
      const fromStart = recoverChain(readBack.reader(), 's-2');
      expect(fromStart.broken).toBe(true);
      expect(fromStart.problems.join('\n')).toMatch(new RegExp(`seq ${badSeq}`));
      const fromFirst = recoverChain(readBack.reader(), 's-2', { firstSeq: nextSeq });
      expect(fromFirst).toMatchObject({ broken: false, problems: [], replayed: 0, lastCheckpointSize: 0 });
      expect(fromFirst.chain.size).toBe(0);
      // Checkpoints before firstSeq are not the stream's either: STREAM's own, read from after them, is empty.
      const after = recoverChain(readBack.reader(), STREAM, { firstSeq: badSeq + 1 });
      expect(after).toMatchObject({ broken: false, problems: [], lastCheckpointSize: 0 });
      expect(after.chain.size).toBe(0);
      expect(() => recoverChain(readBack.reader(), STREAM, { firstSeq: 0 })).toThrow(/firstSeq/);
    });
  });
});

describe('recoverChain over a damaged frame (bad CRC) the reader skips', () => {
  /** Flips one byte of `marker` (a record's body) in the WAL's segment files: the frame's CRC no longer matches. */
  function flipByteOf(dir: string, marker: string): void {
    let flipped = 0;
    for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.wal'))) {
      const file = path.join(dir, name);
      const bytes = fs.readFileSync(file);
      const at = bytes.indexOf(marker);
      if (at < 0) continue;
      bytes[at] = (bytes[at] as number) ^ 0x01;
      fs.writeFileSync(file, bytes);
      flipped++;
    }
    expect(flipped).toBe(1);
  }

  it("does not resume before the stream's last record when its frame is damaged in a sealed segment (no fork)", async () => {
    const dir = path.join(root, 'damaged-last');
    // Closed, it is sealed: opening it again checks the footer, not each frame's CRC.
    await withWal(
      dir,
      (wal) => chainedWriter(wal, new ChainState(STREAM))(['r1', 'r2', 'r3', 'LAST-RECORD-r4']), // r1 r2 r3 cp(3) r4
    );
    flipByteOf(dir, 'LAST-RECORD-r4');
    await withWal(dir, (readBack) => {
      const recovered = recoverChain(readBack.reader(), STREAM);
      // Resumed at 3, the next record would be number 4 again: two records 4 in one stream.
      expect(recovered.broken).toBe(true);
      expect(recovered.problems.join('\n')).toMatch(
        /damaged frame at .* was skipped and no record of stream s-1 follows it/,
      );
    });
  });

  it('is not broken by a damaged frame that a record of the stream follows in sequence', async () => {
    const dir = path.join(root, 'damaged-other');
    await withWal(dir, async (wal) => {
      const chained = chainedWriter(wal, new ChainState(STREAM));
      await chained(['r1']);
      await wal.append(encodeRecord(createAuditRecord({ body: 'NOT-CHAINED' }))); // not of the stream
      await chained(['r2']);
    });
    flipByteOf(dir, 'NOT-CHAINED');
    await withWal(dir, (readBack) => {
      const recovered = recoverChain(readBack.reader(), STREAM);
      expect(recovered.broken).toBe(false);
      expect(recovered.chain.size).toBe(2);
      expect(recovered.problems).toEqual([expect.stringMatching(/^the damaged frame at .* was skipped$/)]);
    });
  });
});

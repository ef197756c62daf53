/**
 * verifyWalParallel must report exactly what verifyWal reports — on an
 * intact WAL and after each kind of damage — whatever the number of workers
 * and wherever the batch edges fall.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuditRecord } from '../../record/AuditRecord.ts';
import { decodeRecord, encodeRecord } from '../../record/walCodec.ts';
import { FrameType } from '../../wal/format.ts';
import { Wal } from '../../wal/Wal.ts';
import { flipPayloadBit, readFrames, writeFrames, type Frame } from '../../../test/helpers/walTamper.ts';
import { ChainSequencer } from '../chain/ChainSequencer.ts';
import { ATTR_INTEGRITY_HASH } from '../names.ts';
import { ChainState } from '../chain/ChainState.ts';
import { generateKeyPair } from '../sign/generateKeyPair.ts';
import { keyId } from '../sign/keyId.ts';
import { KeyRing } from '../sign/KeyRing.ts';
import { signBytes } from '../sign/signBytes.ts';
import { verifyWal } from './verifyWal.ts';
import { BATCH_BYTES, IN_FLIGHT_PER_WORKER, verifyWalParallel } from './verifyWalParallel.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-audit-verifyparallel-'));
const keys = generateKeyPair('EdDSA');
const ring = new KeyRing();
ring.add(createPublicKey(keys.publicKeyPem));
const original = path.join(root, 'original');
let frames: Frame[] = [];
let n = 0;

/** Two chains of 40 records (a checkpoint every 7), interleaved by session, after 3 unchained records. */
async function writeOriginal(): Promise<void> {
  const key = createPrivateKey(keys.privateKeyPem);
  const plain = Wal.open({ dir: original, syncPolicy: 'none', preallocate: 'off' });
  for (const i of [0, 1, 2]) await plain.append(encodeRecord(createAuditRecord({ body: `plain ${i}` })));
  await plain.close();
  for (const id of ['a', 'b']) {
    const wal = Wal.open({ dir: original, syncPolicy: 'none', preallocate: 'off' });
    const sequencer = new ChainSequencer(
      {
        chain: new ChainState(id),
        signer: { algorithm: 'EdDSA', keyId: keyId(key), sign: (d) => signBytes('EdDSA', key, d) },
        checkpointEveryRecords: 7,
        checkpointEveryMs: 3_600_000,
        clock: () => 1n,
      },
      0,
    );
    wal.setSequencer(sequencer);
    await wal.appendDeferred(
      Array.from({ length: 40 }, (_, i) =>
        sequencer.deferredRecord(
          createAuditRecord({ body: `${id} ${i} ✓`, attributes: [{ key: 'i', value: BigInt(i) }] }),
          BigInt(i + 1),
          512,
        ),
      ),
    );
    await wal.appendDeferred([sequencer.deferredCheckpoint()]);
    await wal.close();
  }
}

beforeAll(async () => {
  await writeOriginal();
  frames = readFrames(original);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A copy of the original WAL with its frames replaced by `edit(frames)`. */
async function damaged(edit: (f: Frame[]) => Frame[]): Promise<string> {
  const dir = path.join(root, `case-${n++}`);
  await writeFrames(dir, edit([...frames]), { segmentBytesMax: 16 * 1024 });
  return dir;
}

const recordAt = (f: Frame[], type: number, k: number): number =>
  f.findIndex((x, i) => x.type === type && f.slice(0, i + 1).filter((y) => y.type === type).length === k);

async function expectSameReport(dir: string, damage: boolean): Promise<void> {
  const expected = verifyWal({ dir, keys: ring });
  expect(expected.ok).toBe(!damage);
  for (const [workers, batchRecords] of [
    [1, 1],
    [2, 5],
  ] as const) {
    expect(await verifyWalParallel({ dir, keys: ring, workers, batchRecords })).toEqual(expected);
  }
}

describe('verifyWalParallel reports what verifyWal reports', () => {
  it('on an intact WAL', async () => {
    await expectSameReport(original, false);
  });

  it('when a record was changed (modified)', async () => {
    const dir = await damaged((f) => {
      const i = recordAt(f, FrameType.RECORD, 12);
      const r = decodeRecord((f[i] as Frame).payload);
      f[i] = { ...(f[i] as Frame), payload: encodeRecord({ ...r, body: 'changed' }) };
      return f;
    });
    await expectSameReport(dir, true);
  });

  it('when records were deleted, reordered or duplicated', async () => {
    const deleted = await damaged((f) => f.filter((_, i) => i !== recordAt(f, FrameType.RECORD, 20)));
    await expectSameReport(deleted, true);
    const reordered = await damaged((f) => {
      const i = recordAt(f, FrameType.RECORD, 30);
      [f[i], f[i + 1]] = [f[i + 1] as Frame, f[i] as Frame];
      return f;
    });
    await expectSameReport(reordered, true);
    const duplicated = await damaged((f) => {
      const i = recordAt(f, FrameType.RECORD, 50);
      return [...f.slice(0, i + 1), f[i] as Frame, ...f.slice(i + 1)];
    });
    await expectSameReport(duplicated, true);
  });

  it('when a checkpoint was removed or a frame does not decode', async () => {
    const noCheckpoint = await damaged((f) => f.filter((_, i) => i !== recordAt(f, FrameType.CHECKPOINT, 2)));
    await expectSameReport(noCheckpoint, false); // a missing checkpoint alone is not damage
    const garbage = await damaged((f) => {
      const i = recordAt(f, FrameType.RECORD, 9);
      return [...f.slice(0, i), { ...(f[i] as Frame), payload: Uint8Array.of(1, 2, 3) }, ...f.slice(i + 1)];
    });
    await expectSameReport(garbage, true);
    const unchained = await damaged((f) => {
      const i = recordAt(f, FrameType.RECORD, 60);
      return [...f.slice(0, i), f[0] as Frame, ...f.slice(i)];
    });
    await expectSameReport(unchained, true);
  });

  it('on bit rot (a frame whose CRC fails)', async () => {
    const dir = await damaged((f) => f);
    const seq = recordAt(frames, FrameType.RECORD, 33) + 1;
    flipPayloadBit(dir, seq, 20);
    await expectSameReport(dir, true);
  });

  it('with more streams than streamsMax, and without keys', async () => {
    const expected = verifyWal({ dir: original, streamsMax: 1 });
    expect(expected.firstIssue?.kind).toBe('too-many-streams');
    expect(await verifyWalParallel({ dir: original, streamsMax: 1, workers: 2, batchRecords: 3 })).toEqual(
      expected,
    );
    expect(await verifyWalParallel({ dir: original, workers: 2 })).toEqual(verifyWal({ dir: original }));
  });

  it('refuses a negative worker count, and verifies in the calling thread with 0', async () => {
    await expect(verifyWalParallel({ dir: original, workers: -1 })).rejects.toThrow(/workers/);
    expect(await verifyWalParallel({ dir: original, keys: ring, workers: 0 })).toEqual(
      verifyWal({ dir: original, keys: ring }),
    );
  });
});

/**
 * Runs `body` while counting the batches posted to verify workers and the payload bytes posted and
 * not yet answered (the most at any post).
 */
async function watchWorkers(
  body: () => Promise<void>,
): Promise<{ posts: number; outstandingBytesMax: number }> {
  const post = Worker.prototype.postMessage;
  const on = Worker.prototype.on;
  const watch = { posts: 0, outstandingBytesMax: 0 };
  const sent = new Map<Worker, number[]>();
  let outstanding = 0;
  Worker.prototype.postMessage = function (this: Worker, message: { bytes: ArrayBuffer } | null, transfer) {
    if (message === null) return post.call(this, message, transfer); // the end: no more batches
    const bytes = message.bytes.byteLength; // before the transfer detaches it
    watch.posts++;
    outstanding += bytes;
    watch.outstandingBytesMax = Math.max(watch.outstandingBytesMax, outstanding);
    sent.set(this, [...(sent.get(this) ?? []), bytes]);
    post.call(this, message, transfer);
  };
  Worker.prototype.on = function (this: Worker, event: string | symbol, listener: (...a: unknown[]) => void) {
    if (event !== 'message') return on.call(this, event, listener);
    return on.call(this, event, (...args: unknown[]) => {
      outstanding -= sent.get(this)?.shift() ?? 0;
      listener(...args);
    });
  } as typeof on;
  try {
    await body();
  } finally {
    Worker.prototype.postMessage = post;
    Worker.prototype.on = on;
  }
  return watch;
}

describe('verifyWalParallel keeps its memory bounded on a hostile WAL', () => {
  it('hands on a WAL of checkpoint frames alone in bounded batches', async () => {
    const checkpoint = frames.find((f) => f.type === FrameType.CHECKPOINT) as Frame;
    const dir = path.join(root, `case-${n++}`);
    await writeFrames(
      dir,
      Array.from({ length: 40 }, () => checkpoint),
    );
    const expected = verifyWal({ dir, keys: ring });
    let report: unknown;
    const watch = await watchWorkers(async () => {
      report = await verifyWalParallel({ dir, keys: ring, workers: 1, batchRecords: 1 });
    });
    expect(report).toEqual(expected);
    expect(watch.posts).toBeGreaterThanOrEqual(10); // at most 4 frames per batch with batchRecords 1
  });

  it('does not have more than its byte budget out (plus one frame) with frames larger than a batch', async () => {
    const dir = path.join(root, `case-${n++}`);
    const wal = Wal.open({ dir, syncPolicy: 'none', preallocate: 'off' });
    const frameBytes = 3 * 1024 * 1024;
    for (let i = 0; i < 6; i++) {
      await wal.append(encodeRecord(createAuditRecord({ body: String(i).repeat(frameBytes) })));
    }
    await wal.close();
    let report: unknown;
    const watch = await watchWorkers(async () => {
      report = await verifyWalParallel({ dir, keys: ring, workers: 1 });
    });
    expect(report).toEqual(verifyWal({ dir, keys: ring }));
    expect(watch.posts).toBe(6);
    expect(watch.outstandingBytesMax).toBeLessThanOrEqual(
      IN_FLIGHT_PER_WORKER * BATCH_BYTES + frameBytes + 1024,
    );
  });
});

describe('verifyWalParallel when a worker fails', () => {
  /** Runs `verify` with the `n`-th batches posted (those `bad(n)` picks) unreadable: the worker throws and dies. */
  async function withBadPosts<T>(bad: (n: number) => boolean, verify: () => Promise<T>): Promise<T> {
    const post = Worker.prototype.postMessage;
    let posts = 0;
    Worker.prototype.postMessage = function (this: Worker, message: object, transfer) {
      post.call(this, bad(++posts) ? { ...message, spans: null } : message, transfer);
    };
    try {
      return await verify();
    } finally {
      Worker.prototype.postMessage = post;
    }
  }

  it('reports the records of the batch it held as unverifiable, replaces it and goes on', async () => {
    const report = await withBadPosts(
      (n) => n === 3,
      () => verifyWalParallel({ dir: original, keys: ring, workers: 2, batchRecords: 4 }),
    );
    expect(report.ok).toBe(false);
    const unverifiable = report.issues.filter((i) => i.kind === 'unverifiable');
    expect(unverifiable.length).toBeGreaterThanOrEqual(1);
    expect(unverifiable[0]?.message).toMatch(
      /^not verified: the worker thread checking the 4 records at WAL seq \d+\.\.\d+ failed: .*null/,
    );
    // Every record was accounted for: the later batches were checked by the new worker.
    expect(report.records).toBe(verifyWal({ dir: original, keys: ring }).records);
    // What follows from records not checked says so: no finding of damage stands on its own.
    for (const issue of report.issues.filter((i) => i.kind !== 'unverifiable')) {
      expect(issue.message).toMatch(/lost with the record not verified at WAL seq \d+\.\.\d+/);
    }
  });

  it('rejects with INTERNAL instead of waiting forever when workers keep dying', async () => {
    const run = withBadPosts(
      () => true,
      () => verifyWalParallel({ dir: original, keys: ring, workers: 2, batchRecords: 1 }),
    );
    await expect(run).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^verify workers died 17 times; the last failed: .*null/),
    });
  });
});

describe('verifyWalParallel ends its workers', () => {
  /**
   * Runs `verify` counting `Worker.terminate` calls and the exit codes of the workers, with the posts
   * of `null` (the end: no more batches) dropped when `dropStops`.
   */
  async function watchEnds<T>(
    dropStops: boolean,
    verify: () => Promise<T>,
  ): Promise<{ result: T; terminated: number; exitCodes: number[] }> {
    const post = Worker.prototype.postMessage;
    const terminate = Worker.prototype.terminate;
    const on = Worker.prototype.on;
    const exitCodes: number[] = [];
    const watched = new WeakSet<Worker>();
    let terminated = 0;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer) {
      if (!watched.has(this)) {
        watched.add(this);
        on.call(this, 'exit', (code: number) => exitCodes.push(code));
      }
      if (message === null && dropStops) return;
      post.call(this, message, transfer);
    };
    Worker.prototype.terminate = function (this: Worker) {
      terminated++;
      return terminate.call(this);
    };
    try {
      const result = await verify();
      return { result, terminated, exitCodes };
    } finally {
      Worker.prototype.postMessage = post;
      Worker.prototype.terminate = terminate;
    }
  }

  it('lets them exit on their own once verification is done: none is terminated', async () => {
    const seen = await watchEnds(false, () =>
      // A grace no loaded machine reaches: an idle worker exits within milliseconds.
      verifyWalParallel({
        dir: original,
        keys: ring,
        workers: 2,
        batchRecords: 8,
        workerStopGraceMs: 100_000,
      }),
    );
    expect(seen.result).toEqual(verifyWal({ dir: original, keys: ring }));
    expect(seen.terminated).toBe(0);
    expect(seen.exitCodes).toEqual([0, 0]); // both exited, normally, before verifyWalParallel resolved
  });

  it('terminates one that has not exited workerStopGraceMs after it was asked to', async () => {
    const seen = await watchEnds(true, () =>
      verifyWalParallel({ dir: original, keys: ring, workers: 1, batchRecords: 8, workerStopGraceMs: 50 }),
    );
    expect(seen.result).toEqual(verifyWal({ dir: original, keys: ring }));
    expect(seen.terminated).toBe(1);
    expect(seen.exitCodes).toEqual([1]); // terminated, before verifyWalParallel resolved
  });

  it("refuses a workerStopGraceMs that is not a number from 0 to 2^31 - 1 (a timer's range)", async () => {
    await expect(verifyWalParallel({ dir: original, workerStopGraceMs: -1 })).rejects.toThrow(
      /workerStopGraceMs/,
    );
    await expect(verifyWalParallel({ dir: original, workerStopGraceMs: NaN })).rejects.toThrow(
      /workerStopGraceMs/,
    );
    // Over a timer's range Node fires the timer after 1 ms: every worker would be terminated at once.
    await expect(verifyWalParallel({ dir: original, workerStopGraceMs: 2 ** 31 })).rejects.toThrow(
      /workerStopGraceMs/,
    );
  });
});

describe('verifyWalParallel on randomly edited WALs', () => {
  it('reports what verifyWal reports when a record is forked (a copy with another leaf right after it)', async () => {
    for (const k of [4, 5, 6, 7, 8, 9, 10, 11]) {
      const dir = await damaged((f) => {
        const i = recordAt(f, FrameType.RECORD, k);
        const frame = f[i] as Frame;
        const r = decodeRecord(frame.payload);
        const attributes = r.attributes.map((a) =>
          a.key === ATTR_INTEGRITY_HASH ? { key: a.key, value: '0'.repeat(64) } : a,
        );
        return [
          ...f.slice(0, i + 1),
          { ...frame, payload: encodeRecord({ ...r, attributes }) },
          ...f.slice(i + 1),
        ];
      });
      const expected = verifyWal({ dir, keys: ring });
      expect(
        await verifyWalParallel({ dir, keys: ring, workers: 1, batchRecords: 64 }),
        `record ${k}`,
      ).toEqual(expected);
    }
  });

  it('reports what verifyWal reports after deletions, duplications, moves and swaps of frames', async () => {
    // Batches of 8 or 64 hold runs of consecutive records, so the Merkle subtrees folded in the
    // worker are used — an edit must not let a folded subtree stand for leaves the tree did not get.
    // 'fork': a copy of a record claiming another integrity hash (another Merkle leaf), right after it
    const editArb = fc.tuple(
      fc.constantFrom('delete', 'duplicate', 'move', 'swap', 'fork'),
      fc.nat(),
      fc.nat(),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(editArb, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(3, 8, 64),
        async (edits, batchRecords) => {
          const dir = await damaged((f) => {
            let out = f;
            for (const [kind, a, b] of edits) {
              const i = a % out.length;
              const j = b % out.length;
              const frame = out[i] as Frame;
              if (kind === 'fork') {
                if (frame.type !== FrameType.RECORD) continue;
                const r = decodeRecord(frame.payload);
                const attributes = r.attributes.map((a) =>
                  a.key === ATTR_INTEGRITY_HASH ? { key: a.key, value: '0'.repeat(64) } : a,
                );
                const forked = { ...frame, payload: encodeRecord({ ...r, attributes }) };
                out = [...out.slice(0, i + 1), forked, ...out.slice(i + 1)];
              } else if (kind === 'delete') out = out.filter((_, k) => k !== i);
              else if (kind === 'duplicate') out = [...out.slice(0, j), frame, ...out.slice(j)];
              else if (kind === 'move') {
                const rest = out.filter((_, k) => k !== i);
                out = [...rest.slice(0, j), frame, ...rest.slice(j)];
              } else {
                out = [...out];
                [out[i], out[j]] = [out[j] as Frame, frame];
              }
            }
            return out;
          });
          const expected = verifyWal({ dir, keys: ring });
          expect(await verifyWalParallel({ dir, keys: ring, workers: 1, batchRecords })).toEqual(expected);
        },
      ),
      { numRuns: 16 },
    );
  });
});

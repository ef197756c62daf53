/**
 * WalLeafHashSource on hostile checkpoint frames: a frame of type CHECKPOINT
 * larger than any checkpoint our writer makes is not parsed (JSON.parse of a
 * 100 MiB frame of `[{},{},...]` exhausted a 1 GiB heap before).
 */
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../sign/generateKeyPair.ts';
import { FrameType } from '../../wal/format.ts';
import { openWalReadOnly } from '../../wal/readOnly.ts';
import { makeTempDir } from '../../wal/testutil/tmpdir.ts';
import { Wal } from '../../wal/Wal.ts';
import { writeChainedWal } from './testutil/chainedWal.ts';
import { CHECKPOINT_PAYLOAD_BYTES_MAX } from '../chain/checkpoint.ts';
import { WalLeafHashSource } from './WalLeafHashSource.ts';

const tmp = makeTempDir('otel-audit-leafsource-');
afterAll(() => tmp.cleanup());
const dir = path.join(tmp.dir, 'wal');
let original = 0;
let atCap = 0;

beforeAll(async () => {
  const keyFile = path.join(tmp.dir, 'signing.pem');
  writeFileSync(keyFile, generateKeyPair('EdDSA').privateKeyPem);
  await writeChainedWal({
    walDir: dir,
    privateKeyFile: keyFile,
    streamId: 's',
    checkpointEveryRecords: 5,
    runs: [5],
  });
  const { reader } = openWalReadOnly({ dir });
  const frames = [...reader.records({ types: [FrameType.CHECKPOINT] })];
  expect(frames).toHaveLength(1);
  const checkpoint = frames[0] as { seq: number; payload: Buffer };
  original = checkpoint.seq;
  // The same checkpoint padded with JSON whitespace: to exactly the cap, and one byte over it.
  const padded = (bytes: number) =>
    Buffer.concat([checkpoint.payload, Buffer.alloc(bytes - checkpoint.payload.length, 0x20)]);
  const wal = Wal.open({
    dir,
    syncPolicy: 'none',
    preallocate: 'off',
    payloadBytesMax: 2 * CHECKPOINT_PAYLOAD_BYTES_MAX,
  });
  try {
    atCap = await wal.append(padded(CHECKPOINT_PAYLOAD_BYTES_MAX), { type: FrameType.CHECKPOINT });
    await wal.append(padded(CHECKPOINT_PAYLOAD_BYTES_MAX + 1), { type: FrameType.CHECKPOINT });
  } finally {
    await wal.close();
  }
});

describe('WalLeafHashSource', () => {
  it('does not parse a checkpoint frame over CHECKPOINT_PAYLOAD_BYTES_MAX: it is not one of the checkpoints', () => {
    const source = WalLeafHashSource.load({ dir });
    expect(source.size).toBe(5);
    expect(source.checkpoints.map((c) => [c.seq, c.treeSize])).toEqual([
      [original, 5],
      [atCap, 5],
    ]);
  });
});

/**
 * openWalReadOnly's `verify` option: only 'tail', 'full', 'once' (or none,
 * meaning 'tail'). Anything else is a caller's mistake that would quietly
 * check less (it used to read as 'tail'): WalBadOptionsError
 * (WAL_BAD_OPTIONS) before anything is read.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WalBadOptionsError } from '../errors.ts';
import { verifyWalOpenedAs } from '../integrity/verify/verifyWal.ts';
import { openWalReadOnly, READ_ONLY_VERIFY_MODES, type ReadOnlyVerifyMode } from './readOnly.ts';
import { makeTempDir } from './testutil/tmpdir.ts';
import { SEALED_WAL_RECORDS, writeSealedWal } from './testutil/sealedWalCopies.ts';

const tmp = makeTempDir('otel-audit-readonly-options-');
afterAll(() => tmp.cleanup());
let dir = '';
beforeAll(async () => {
  dir = path.join(tmp.dir, 'wal');
  await writeSealedWal(dir);
});

describe('openWalReadOnly({ verify })', () => {
  it('reads every record with each valid value and with none', () => {
    for (const verify of [...READ_ONLY_VERIFY_MODES, undefined]) {
      const ro = openWalReadOnly({ dir, ...(verify === undefined ? {} : { verify }) });
      expect([...ro.reader.records()], String(verify)).toHaveLength(SEALED_WAL_RECORDS);
    }
  });

  it('refuses any other value with WAL_BAD_OPTIONS naming it, before reading anything', () => {
    const missing = path.join(tmp.dir, 'no-such-directory');
    for (const verify of ['Full', 'TAIL', 'once ', 'strict', '', null, 1, {}]) {
      for (const at of [dir, missing]) {
        let thrown: unknown;
        try {
          openWalReadOnly({ dir: at, verify: verify as ReadOnlyVerifyMode });
        } catch (err) {
          thrown = err;
        }
        expect(thrown, JSON.stringify(verify)).toBeInstanceOf(WalBadOptionsError);
        expect(thrown).toMatchObject({ code: 'WAL_BAD_OPTIONS' });
        expect((thrown as Error).message).toMatch(/verify must be one of tail, full, once, not /);
      }
    }
    expect(() => openWalReadOnly({ dir, verify: 'fulll' as ReadOnlyVerifyMode })).toThrow('not "fulll"');
  });

  it('verify (the library call) passes its mode on and is refused the same way', () => {
    expect(verifyWalOpenedAs({ dir }, 'full').frames).toBe(SEALED_WAL_RECORDS);
    expect(() => verifyWalOpenedAs({ dir }, 'ful' as 'full')).toThrow(WalBadOptionsError);
  });
});

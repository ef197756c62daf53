/** realDirectory (config/internal/realDirectory.ts) on dangling symlinks and loops (from a review, 2026-11-27). */
import { mkdtempSync, rmSync, symlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realDirectory } from './internal/realDirectory.ts';

describe('realDirectory', () => {
  it('dangling symlinks and loops do not throw or recurse for ever', () => {
    const dir = realDirectory(mkdtempSync(join(tmpdir(), 'review3-real-')));
    try {
      symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
      symlinkSync(join(dir, 'loop'), join(dir, 'loop'));
      mkdirSync(join(dir, 'real'));
      symlinkSync(join(dir, 'real'), join(dir, 'link'));
      const r = {
        dangling: realDirectory(join(dir, 'dangling')),
        danglingChild: realDirectory(join(dir, 'dangling', 'wal')),
        loop: realDirectory(join(dir, 'loop', 'wal')),
        viaLinkMissing: realDirectory(join(dir, 'link', 'new', 'wal')),
      };
      // A dangling link or a loop is kept as written below the nearest directory that resolves.
      expect(r.danglingChild).toBe(join(dir, 'dangling', 'wal'));
      expect(r.loop).toBe(join(dir, 'loop', 'wal'));
      expect(r.viaLinkMissing).toBe(join(dir, 'real', 'new', 'wal'));
      // A dangling link resolves to itself, not to where a mkdir -p through it would land.
      expect(r.dangling).toBe(join(dir, 'dangling'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

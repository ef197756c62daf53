import { describe, expect, it } from 'vitest';
import { summarizeHealth, type ComponentHealth } from './health.ts';

const reporter = (h: () => ComponentHealth): { health: () => ComponentHealth } => ({ health: h });

describe('summarizeHealth', () => {
  it('is healthy only while running with every reporting component ok', () => {
    const components = new Map<string, unknown>([
      ['audit_wal', reporter(() => ({ state: 'ok' }))],
      ['otlp', {}], // not a reporter: not listed, does not count
    ]);
    expect(summarizeHealth('running', components)).toEqual({
      healthy: true,
      phase: 'running',
      components: { audit_wal: { state: 'ok' } },
    });
    expect(summarizeHealth('stopping', components).healthy).toBe(false);
  });

  it('reports a component whose health() throws as failed, keeping the real phase and the other reports', () => {
    const components = new Map<string, unknown>([
      [
        'audit_wal/a',
        reporter(() => {
          throw new Error('status file unreadable');
        }),
      ],
      ['audit_wal/b', reporter(() => ({ state: 'ok' }))],
    ]);
    for (const phase of ['starting', 'running', 'stopping'] as const) {
      const h = summarizeHealth(phase, components);
      expect(h.healthy).toBe(false);
      expect(h.phase).toBe(phase);
      expect(h.components['audit_wal/a']).toEqual({
        state: 'failed',
        failure: 'health() threw: status file unreadable',
      });
      expect(h.components['audit_wal/b']).toEqual({ state: 'ok' });
    }
  });
});

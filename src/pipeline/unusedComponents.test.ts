/**
 * As the OpenTelemetry Collector: exporters and processors that no pipeline uses are not created. Before,
 * `serve` created every configured one: an `audit_wal` exporter left out of the pipelines opened, created
 * and locked its directory (and a second process's WAL there was refused as locked).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../config/resolve.ts';
import { makeTempDir } from '../wal/testutil/tmpdir.ts';
import { createFactoryRegistry } from './registry.ts';
import { Service } from './Service.ts';

const tmp = makeTempDir('otel-audit-unused-components-');
afterAll(() => tmp.cleanup());
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('components no pipeline uses', () => {
  it('are not created: an unused audit_wal exporter leaves its directory alone', async () => {
    const used = path.join(tmp.dir, 'used');
    const unused = path.join(tmp.dir, 'unused');
    const registry = createFactoryRegistry();
    const config = resolveConfig(
      [
        {
          kind: 'yaml',
          text: `
receivers: { audit_sdk: }
processors: { batch: , batch/unused: }
exporters:
  audit_wal: { directory: ${JSON.stringify(used)} }
  audit_wal/unused: { directory: ${JSON.stringify(unused)} }
service: { pipelines: { logs: { receivers: [audit_sdk], processors: [batch], exporters: [audit_wal] } } }
`,
        },
      ],
      { catalog: registry.catalog },
    );
    const service = Service.build({ config, registry, logger: quiet });
    expect([...service.exporters.keys()]).toEqual(['audit_wal']);
    expect([...service.processors.keys()]).toEqual(['batch']);
    await service.start();
    try {
      expect(fs.existsSync(used)).toBe(true);
      expect(fs.existsSync(unused)).toBe(false);
    } finally {
      await service.shutdown(5_000);
    }
  });
});

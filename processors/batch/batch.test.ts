import { describe, expect, it } from 'vitest';
import { checkComponentSchema } from '../../config/checkComponentSchema.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { createAuditRecord } from '../../src/record/AuditRecord.ts';
import { processorConfigTester } from '../../test/helpers/processorConfigTests.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { batchProcessorFactory } from './factory.ts';
import { parseGoDurationNs } from './goDuration.ts';

const { issues, loadGolden } = processorConfigTester(batchProcessorFactory, import.meta.url);

describe('batch processor', () => {
  it('meets the component schema contract', () => {
    expect(checkComponentSchema(batchProcessorFactory)).toEqual([]);
  });

  it('loads the golden configurations with the Collector defaults filled in', () => {
    const config = loadGolden('config.yaml');
    expect(config.processors.get('batch')?.config).toEqual(batchProcessorFactory.createDefaultConfig());
    expect(config.processors.get('batch/2')?.config).toEqual({
      timeout: '10s',
      send_batch_size: 10000,
      send_batch_max_size: 11000,
      metadata_keys: [],
      metadata_cardinality_limit: 1000,
    });
    expect(config.processors.get('batch/metadata')?.config).toMatchObject({ timeout: '1m30s' });
  });

  it('validates as the Collector does', () => {
    expect(issues('    { send_batch_size: 100, send_batch_max_size: 10 }')).toEqual([
      'send_batch_max_size: send_batch_max_size must be greater or equal to send_batch_size',
    ]);
    expect(issues('    { send_batch_size: 100, send_batch_max_size: 0 }')).toEqual([]);
    expect(issues('    metadata_keys: [Tenant, tenant]')).toEqual([
      'metadata_keys[1]: duplicate entry in metadata_keys: "tenant" (case-insensitive)',
    ]);
    expect(issues('    timeout: -1s')).toEqual(['timeout: timeout must be greater or equal to 0']);
    expect(issues('    timeout: soon')).toEqual([
      'timeout: expected a duration such as "200ms" or "10s", got "soon"',
    ]);
    expect(issues('    send_batch_size: -1')).toEqual(['send_batch_size: must be at least 0']);
    expect(issues('    send_batch_sise: 1')[0]).toMatch(/invalid keys: send_batch_sise/);
  });

  it('parses Go durations', () => {
    expect(parseGoDurationNs('200ms')).toBe(200e6);
    expect(parseGoDurationNs('1m30s')).toBe(90e9);
    expect(parseGoDurationNs('1.5h')).toBe(5400e9);
    expect(parseGoDurationNs('0')).toBe(0);
    expect(parseGoDurationNs('-2us')).toBe(-2000);
    expect(parseGoDurationNs('3µs')).toBe(3000);
    for (const bad of ['', '10', 's', '1x', '.s', '1s2']) expect(parseGoDurationNs(bad)).toBeUndefined();
  });

  it('passes every record through unchanged', () => {
    const processor = batchProcessorFactory.create(
      testSettings('batch'),
      batchProcessorFactory.createDefaultConfig() as never,
    );
    expect(processor.mutates).toBe(false);
    const record = createAuditRecord({ body: 'x', attributes: [{ key: 'a', value: 1n }] });
    const before = structuredClone(record);
    expect(processor.process(auditRecordView(record))).toBe(true);
    expect(record).toEqual(before);
  });
});

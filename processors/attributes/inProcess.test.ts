/** The Collector-compatible processors on an OTel SDK record, inside onEmit (the in-process path). */
import { LoggerProvider, type LogRecordProcessor, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import type { RecordProcessor } from '../../src/pipeline/RecordProcessor.ts';
import type { AuditRecord } from '../../src/record/AuditRecord.ts';
import { fromSdkLogRecord } from '../../src/record/fromSdkLogRecord.ts';
import { sdkLogRecordView } from '../../src/record/SdkLogRecordView.ts';
import { filterConfigSchema } from '../filter/config.ts';
import { filterProcessorFactory } from '../filter/factory.ts';
import { testSettings } from '../filter/testing/loadProcessorConfigs.ts';
import { attributesConfigSchema } from './config.ts';
import { attributesProcessorFactory } from './factory.ts';

describe('attributes and filter in process', () => {
  it('work on SDK records', () => {
    const attributes = attributesProcessorFactory.create(
      testSettings('attributes'),
      attributesConfigSchema.parse({
        actions: [
          { key: 'user.email', action: 'hash' },
          { key: 'status', action: 'convert', converted_type: 'int' },
          { key: 'env', value: 'prod', action: 'insert' },
        ],
      }),
    );
    const filter = filterProcessorFactory.create(
      testSettings('filter'),
      filterConfigSchema.parse({
        error_mode: 'propagate',
        logs: { log_record: ['attributes["status"] >= 500'] },
      }),
    );
    const captured: AuditRecord[] = [];
    const adapter = (processor: RecordProcessor): LogRecordProcessor => ({
      onEmit: (record: ReadWriteLogRecord) => {
        if (!processor.process(sdkLogRecordView(record))) return;
        captured.push(fromSdkLogRecord(record));
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    });
    // The filter decides on what the attributes processor produced: chain them in one SDK processor.
    const chain: RecordProcessor = {
      mutates: true,
      process: (view) => attributes.process(view) && filter.process(view),
    };
    const provider = new LoggerProvider({ processors: [adapter(chain)] });
    const logger = provider.getLogger('lib');
    logger.emit({ body: 'ok', attributes: { 'user.email': 'abc', status: '200' } });
    logger.emit({ body: 'failed', attributes: { 'user.email': 'abc', status: '503' } });
    expect(captured).toHaveLength(1);
    expect(captured[0]?.attributes).toEqual([
      { key: 'user.email', value: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' },
      { key: 'status', value: 200n },
      { key: 'env', value: 'prod' },
    ]);
  });
});

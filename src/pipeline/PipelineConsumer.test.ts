import { describe, expect, it } from 'vitest';
import { filterConfigSchema } from '../../processors/filter/config.ts';
import { FilterConditionError } from '../../processors/filter/FilterConditionError.ts';
import { FilterProcessor } from '../../processors/filter/FilterProcessor.ts';
import { REGEX_INPUT_LENGTH_MAX } from '../../processors/filter/match/regex.ts';
import { testSettings } from '../../processors/filter/testing/loadProcessorConfigs.ts';
import { OtelAuditError } from '../errors.ts';
import { createAuditRecord, type AuditRecord } from '../record/AuditRecord.ts';
import { isRetryable, PermanentError, type LogBatch } from './consumer.ts';
import type { LogsExporter } from './factories.ts';
import { FanOutConsumer, PipelineConsumer } from './PipelineConsumer.ts';
import { ProcessorFailedError } from './ProcessorFailedError.ts';
import type { RecordProcessor } from './RecordProcessor.ts';
import { RecordsRejectedError } from './RecordsRejectedError.ts';
import { rejection } from '../../test/helpers/rejection.ts';

class CollectingExporter implements LogsExporter {
  readonly bodies: unknown[] = [];
  start = (): Promise<void> => Promise.resolve();
  shutdown = (): Promise<void> => Promise.resolve();
  consumeLogs(batch: LogBatch): Promise<void> {
    for (const r of batch.records) this.bodies.push(r.body);
    return Promise.resolve();
  }
}

/** Throws `make()` for records whose body is 'poison'. */
function throwingOn(make: () => unknown): RecordProcessor {
  return {
    mutates: false,
    process: (view) => {
      if (view.getBody() === 'poison') throw make();
      return true;
    },
  };
}

const batchOf = (...bodies: string[]): LogBatch => ({
  records: bodies.map((body) => createAuditRecord({ body })),
});

describe('PipelineConsumer: a record a processor refuses is refused alone', () => {
  it('a processor bug (untyped throw) refuses only that record, permanently, naming processor and record', async () => {
    const exporter = new CollectingExporter();
    const pipeline = new PipelineConsumer(
      'logs',
      [throwingOn(() => new TypeError("Cannot read properties of undefined (reading 'x')"))],
      [exporter],
      ['attributes/buggy'],
    );
    const err = await rejection(pipeline.consumeLogs(batchOf('a', 'poison', 'b')));
    expect(err).toBeInstanceOf(RecordsRejectedError);
    expect(isRetryable(err)).toBe(false); // the sender must not resend it for ever
    const rejected = err as RecordsRejectedError;
    expect([rejected.rejectedCount, rejected.acceptedCount]).toEqual([1, 2]);
    const cause = rejected.rejected[0]?.error;
    expect(cause).toBeInstanceOf(ProcessorFailedError);
    expect(cause).toMatchObject({
      code: 'PIPELINE_PERMANENT',
      processorId: 'attributes/buggy',
      recordIndex: 1,
    });
    expect(rejected.message).toMatch(/attributes\/buggy.*record 1.*TypeError/);
    expect(exporter.bodies).toEqual(['a', 'b']);
  });

  it('a retryable typed error from a processor fails the whole batch retryably (nothing written)', async () => {
    const exporter = new CollectingExporter();
    const pipeline = new PipelineConsumer(
      'logs',
      [throwingOn(() => new OtelAuditError('KEY_STORE_IO', 'key store unreachable', { retryable: true }))],
      [exporter],
    );
    const err = await rejection(pipeline.consumeLogs(batchOf('a', 'poison', 'b')));
    expect(err).toMatchObject({ code: 'KEY_STORE_IO' });
    expect(isRetryable(err)).toBe(true);
    expect(exporter.bodies).toEqual([]);
  });

  it('filter error_mode propagate: a value over the IsMatch limit refuses its record, not the records sent with it', async () => {
    const filter = new FilterProcessor(
      testSettings('filter/secrets'),
      filterConfigSchema.parse({
        error_mode: 'propagate',
        logs: { log_record: ['IsMatch(attributes["note"], "secret")'] },
      }),
    );
    const exporter = new CollectingExporter();
    const pipeline = new PipelineConsumer('logs', [filter], [exporter], ['filter/secrets']);
    const note = (body: string, value: string): AuditRecord =>
      createAuditRecord({ body, attributes: [{ key: 'note', value }] });
    const err = await rejection(
      pipeline.consumeLogs({
        records: [
          note('kept', 'fine'),
          note('huge', 'x'.repeat(REGEX_INPUT_LENGTH_MAX + 1)),
          note('dropped', 'a secret'),
          note('kept too', 'ok'),
        ],
      }),
    );
    expect(err).toBeInstanceOf(RecordsRejectedError);
    expect((err as RecordsRejectedError).rejected.map((r) => r.index)).toEqual([1]);
    expect((err as RecordsRejectedError).rejected[0]?.error).toBeInstanceOf(FilterConditionError);
    expect((err as RecordsRejectedError).acceptedCount).toBe(3);
    expect(exporter.bodies).toEqual(['kept', 'kept too']);
  });
});

describe('FanOutConsumer', () => {
  it('waits for every pipeline: a retryable failure wins over an earlier permanent refusal', async () => {
    let failLater: (err: unknown) => void = () => undefined;
    const slow = { consumeLogs: () => new Promise<void>((_, reject) => (failLater = reject)) };
    const refusing = { consumeLogs: () => Promise.reject(new PermanentError('refused')) };
    const fanOut = new FanOutConsumer([refusing, slow]);
    const outcome = rejection(fanOut.consumeLogs(batchOf('a')));
    await new Promise((r) => setTimeout(r, 5));
    failLater(new OtelAuditError('WAL_DISK_FULL', 'disk full', { retryable: true }));
    expect(await outcome).toMatchObject({ code: 'WAL_DISK_FULL' });
  });

  it('merges the records refused by different pipelines', async () => {
    const a = new PipelineConsumer(
      'a',
      [throwingOn(() => new Error('bug in a'))],
      [new CollectingExporter()],
      ['p/a'],
    );
    const bProcessor: RecordProcessor = {
      mutates: false,
      process: (view) => {
        if (view.getBody() === 'second') throw new PermanentError('b refuses');
        return true;
      },
    };
    const b = new PipelineConsumer('b', [bProcessor], [new CollectingExporter()]);
    const err = await rejection(new FanOutConsumer([a, b]).consumeLogs(batchOf('poison', 'second', 'fine')));
    expect(err).toBeInstanceOf(RecordsRejectedError);
    expect((err as RecordsRejectedError).rejected.map((r) => r.index)).toEqual([0, 1]);
    expect((err as RecordsRejectedError).acceptedCount).toBe(1);
  });
});

describe('RecordsRejectedError when a processor also drops records', () => {
  /** Refuses 'poison', drops 'noise', keeps the rest. */
  const refusingAndDropping: RecordProcessor = {
    mutates: false,
    process: (view) => {
      if (view.getBody() === 'poison') throw new PermanentError('refused');
      return view.getBody() !== 'noise';
    },
  };

  it('does not call dropped records durable (acceptedCount stays "not refused", as OTLP counts it)', async () => {
    const exporter = new CollectingExporter();
    const pipeline = new PipelineConsumer('logs', [refusingAndDropping], [exporter], ['filter']);
    const err = (await rejection(
      pipeline.consumeLogs(batchOf('a', 'noise', 'poison', 'noise')),
    )) as RecordsRejectedError;
    expect(exporter.bodies).toEqual(['a']);
    expect([err.rejectedCount, err.acceptedCount, err.droppedCount]).toEqual([1, 3, 2]);
    expect(err.message).not.toMatch(/3 accepted and durable/);
    expect(err.message).toMatch(/1 record\(s\) refused, 3 accepted \(1 durable, 2 dropped by a processor\)/);
  });

  it('without drops the message is unchanged', async () => {
    const pipeline = new PipelineConsumer('logs', [refusingAndDropping], [new CollectingExporter()]);
    const err = (await rejection(pipeline.consumeLogs(batchOf('a', 'poison')))) as RecordsRejectedError;
    expect(err.droppedCount).toBe(0);
    expect(err.message).toMatch(/^1 record\(s\) refused, 1 accepted and durable: /);
  });

  it('merged over pipelines that drop differently, it does not claim which are durable', async () => {
    const keepAll: RecordProcessor = {
      mutates: false,
      process: (view) => {
        if (view.getBody() === 'other') throw new PermanentError('refused here');
        return true;
      },
    };
    const fanOut = new FanOutConsumer([
      new PipelineConsumer('logs/a', [refusingAndDropping], [new CollectingExporter()]),
      new PipelineConsumer('logs/b', [keepAll], [new CollectingExporter()]),
    ]);
    const err = (await rejection(
      fanOut.consumeLogs(batchOf('a', 'noise', 'poison', 'other')),
    )) as RecordsRejectedError;
    expect([err.rejectedCount, err.acceptedCount, err.droppedCount]).toEqual([2, 2, undefined]);
    expect(err.message).toMatch(/2 record\(s\) refused, 2 accepted \(durable, or dropped by a processor\)/);
  });
});

describe("an exporter's refusal is reported at the record's place in the batch", () => {
  /** Refuses every record it is given, each by its index in the batch it got. */
  const refusingExporter: LogsExporter = {
    start: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
    consumeLogs: (batch) =>
      Promise.reject(
        new RecordsRejectedError({
          rejected: batch.records.map((_, index) => ({ index, error: new PermanentError('too large') })),
          acceptedCount: 0,
        }),
      ),
  };

  it('when a processor drops the first of two occurrences of one record object, the kept one is named', async () => {
    const shared = createAuditRecord({ body: 'twice' });
    let seen = 0;
    // Stateful: drops the first time it meets the shared record, keeps the second.
    const dropFirstVisit: RecordProcessor = {
      mutates: false,
      process: (view) => view.getBody() !== 'twice' || ++seen > 1,
    };
    const pipeline = new PipelineConsumer('logs', [dropFirstVisit], [refusingExporter]);
    const err = (await rejection(
      pipeline.consumeLogs({ records: [shared, shared, createAuditRecord({ body: 'other' })] }),
    )) as RecordsRejectedError;
    expect(err).toBeInstanceOf(RecordsRejectedError);
    // Kept: position 1 (the second occurrence) and position 2; position 0 was dropped, not refused.
    expect(err.rejected.map((r) => r.index)).toEqual([1, 2]);
    expect(err.droppedCount).toBe(1);
  });

  it('with drops between, each refusal keeps its own place', async () => {
    const dropNoise: RecordProcessor = { mutates: false, process: (view) => view.getBody() !== 'noise' };
    const pipeline = new PipelineConsumer('logs', [dropNoise], [refusingExporter]);
    const err = (await rejection(
      pipeline.consumeLogs(batchOf('noise', 'a', 'noise', 'noise', 'b')),
    )) as RecordsRejectedError;
    expect(err.rejected.map((r) => r.index)).toEqual([1, 4]);
    expect([err.rejectedCount, err.acceptedCount, err.droppedCount]).toEqual([2, 3, 3]);
  });
});

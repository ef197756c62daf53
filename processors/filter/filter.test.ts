import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkComponentSchema } from '../../config/checkComponentSchema.ts';
import { PermanentError } from '../../src/pipeline/consumer.ts';
import { createAuditRecord, createAuditResource, type AuditRecord } from '../../src/record/AuditRecord.ts';
import { auditRecordView } from '../../src/record/AuditRecordView.ts';
import { filterConfigSchema, type FilterConfig } from './config.ts';
import { filterProcessorFactory } from './factory.ts';
import { FilterConditionError } from './FilterConditionError.ts';
import { REGEX_INPUT_LENGTH_MAX } from './match/regex.ts';
import { ERROR_LOG_INTERVAL, FilterProcessor } from './FilterProcessor.ts';
import { loadProcessorConfigs, processorConfigIssues, testSettings } from './testing/loadProcessorConfigs.ts';

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const issues = (yaml: string) =>
  processorConfigIssues(yaml, [filterProcessorFactory]).map(
    (issue) => `${issue.source?.line ?? '-'}:${issue.path}: ${issue.message}`,
  );

function processorFor(config: Partial<FilterConfig>) {
  const settings = testSettings('filter/test');
  const parsed = filterConfigSchema.parse({
    ...(filterProcessorFactory.createDefaultConfig() as object),
    ...config,
  });
  return { processor: new FilterProcessor(settings, parsed), logger: settings.logger };
}

const kept = (processor: FilterProcessor, records: AuditRecord[]) =>
  records.filter((record) => processor.process(auditRecordView(record)));

const rec = (init: Partial<AuditRecord>) => createAuditRecord(init);

describe('filter processor configuration', () => {
  it('meets the component schema contract', () => {
    expect(checkComponentSchema(filterProcessorFactory)).toEqual([]);
  });

  it('loads every golden configuration', () => {
    for (const file of [
      'config_ottl.yaml',
      'config_logs_strict.yaml',
      'config_logs_regexp.yaml',
      'config_logs_min_severity.yaml',
    ]) {
      const config = loadProcessorConfigs({ kind: 'file', path: testdata(file) }, [filterProcessorFactory]);
      expect(config.processors.size, file).toBeGreaterThan(0);
      for (const component of config.processors.values()) {
        expect(() =>
          filterProcessorFactory.create(testSettings(component.id), component.config as FilterConfig),
        ).not.toThrow();
      }
    }
  });

  it('reports an unsupported expression with its YAML path, line and column', () => {
    const yaml = [
      'processors:',
      '  filter/x:',
      '    logs:',
      '      log_record:',
      "        - 'severity_number < SEVERITY_NUMBER_WARN'",
      "        - 'Len(body) > 10'",
      '        - \'attributes["a"] == "b" or\'',
    ].join('\n');
    expect(issues(yaml)).toEqual([
      '6:processors::filter/x::logs::log_record[1]: invalid OTTL condition at column 1: unknown or unsupported converter "Len"; supported: IsMatch, IsString, IsInt, IsDouble, IsBool, IsMap, IsList',
      '7:processors::filter/x::logs::log_record[2]: invalid OTTL condition at column 26: expected a value, found the end of the condition',
    ]);
  });

  it('rejects what otel-audit does not support, by name', () => {
    expect(issues('processors: { filter: { traces: { span: [\'name == "x"\'] } } }')).toEqual([
      '1:processors::filter::traces: is not supported: otel-audit runs logs pipelines only; write log conditions under logs::log_record',
    ]);
    expect(issues("processors: { filter: { log_conditions: ['true'] } }")).toEqual([
      '1:processors::filter::log_conditions: is not supported (context-inferred conditions); write log conditions under logs::log_record',
    ]);
    expect(issues('processors: { filter: { error_mode: IGNORE } }')).toEqual([]);
    expect(issues('processors: { filter: { error_mode: loud } }')[0]).toMatch(
      /processors::filter::error_mode: expected one of ignore\|silent\|propagate, got "loud"/,
    );
    expect(issues("processors: { filter: { logs: { log_records: ['true'] } } }")[0]).toMatch(
      /processors::filter::logs: has invalid keys: log_records \(did you mean "log_record"\?\)/,
    );
  });

  it('validates the legacy match properties as the Collector does', () => {
    expect(
      issues(
        "processors: { filter: { logs: { log_record: ['true'], include: { match_type: strict, bodies: [x] } } } }",
      ),
    ).toEqual([
      '1:processors::filter::logs: cannot use OTTL conditions (log_record) and include/exclude at the same time',
    ]);
    expect(
      issues('processors: { filter: { logs: { include: { severity_number: { min: LOUD } } } } }'),
    ).toEqual([
      '1:processors::filter::logs::include::severity_number::min: "LOUD" is not a valid severity (TRACE .. FATAL4 or 1 .. 24)',
    ]);
    expect(issues('processors: { filter: { logs: { include: { bodies: [x] } } } }')).toEqual([
      '1:processors::filter::logs::include::bodies: needs match_type (strict or regexp)',
    ]);
    expect(
      issues("processors: { filter: { logs: { exclude: { match_type: regexp, bodies: ['a', '(b'] } } } }")[0],
    ).toMatch(/processors::filter::logs::exclude::bodies\[1\]: invalid regular expression "\(b"/);
    expect(
      issues(
        'processors: { filter: { logs: { exclude: { match_type: regexp, record_attributes: [{ key: a, value: 1 }] } } } }',
      ),
    ).toEqual([
      '1:processors::filter::logs::exclude::record_attributes[0]::value: match_type regexp for "a" only supports string values',
    ]);
  });
});

describe('filter processor with OTTL conditions', () => {
  it('drops a record when any condition is true and never changes records', () => {
    const { processor } = processorFor({
      logs: { log_record: ['severity_number < SEVERITY_NUMBER_WARN', 'IsMatch(body, ".*password.*")'] },
    });
    expect(processor.mutates).toBe(false);
    const records = [
      rec({ severityNumber: 9, body: 'info' }),
      rec({ severityNumber: 17, body: 'error: bad password' }),
      rec({ severityNumber: 17, body: 'error' }),
    ];
    const before = structuredClone(records);
    expect(kept(processor, records)).toEqual([before[2]]);
    expect(records).toEqual(before);
    expect(processor.droppedCount).toBe(2);
  });

  it('logs the first drop and the totals at shutdown', async () => {
    const { processor, logger } = processorFor({ logs: { log_record: ['body == "noise"'] } });
    for (const body of ['noise', 'keep', 'noise', 'noise']) processor.process(auditRecordView(rec({ body })));
    expect(logger.lines).toEqual([
      'info: filter/test: dropped a record as configured (the first; the total is logged at shutdown)',
    ]);
    await processor.shutdown();
    expect(logger.lines.at(-1)).toBe(
      'info: filter/test: dropped 3 record(s) in total; 0 condition failure(s)',
    );
    // A second shutdown request logs the totals no second time.
    const lines = logger.lines.length;
    await processor.shutdown();
    expect(logger.lines).toHaveLength(lines);
  });

  it('keeps everything without conditions', () => {
    const processor = filterProcessorFactory.create(
      testSettings('filter'),
      filterProcessorFactory.createDefaultConfig() as FilterConfig,
    );
    expect(processor.process(auditRecordView(rec({})))).toBe(true);
  });

  const failing = ['attributes["a"]["b"] == 1', 'severity_text == "DEBUG"'];
  const bad = rec({ attributes: [{ key: 'a', value: 'not a map' }], severityText: 'DEBUG' });
  const good = rec({ attributes: [{ key: 'a', value: { values: [{ key: 'b', value: 1n }] } }] });

  it('error_mode ignore: a failing condition counts as false, later conditions still run, and it is logged', () => {
    const { processor, logger } = processorFor({ error_mode: 'ignore', logs: { log_record: failing } });
    expect(processor.process(auditRecordView(bad))).toBe(false); // dropped by the second condition
    expect(processor.process(auditRecordView(rec({ attributes: [{ key: 'a', value: 'x' }] })))).toBe(true);
    expect(processor.process(auditRecordView(good))).toBe(false);
    expect(processor.errorCount).toBe(2);
    expect(logger.lines.filter((line) => line.startsWith('warn:'))).toEqual([
      'warn: filter/test: the condition "attributes[\\"a\\"][\\"b\\"] == 1" failed and counts as false (error_mode: ignore; 1 failure(s) so far): a value of type Str cannot be indexed',
    ]);
  });

  it('error_mode ignore logs at most once per ERROR_LOG_INTERVAL failures', () => {
    const { processor, logger } = processorFor({
      error_mode: 'ignore',
      logs: { log_record: [failing[0] ?? ''] },
    });
    for (let i = 0; i < ERROR_LOG_INTERVAL * 2; i++) processor.process(auditRecordView(bad));
    expect(logger.lines).toHaveLength(3);
  });

  it('error_mode silent: a failing condition counts as false, without a log line', () => {
    const { processor, logger } = processorFor({ error_mode: 'silent', logs: { log_record: failing } });
    expect(processor.process(auditRecordView(rec({ attributes: [{ key: 'a', value: 'x' }] })))).toBe(true);
    expect(logger.lines).toEqual([]);
    expect(processor.errorCount).toBe(1);
  });

  it('error_mode propagate (the default): a failing condition throws a permanent error', () => {
    const { processor } = processorFor({ logs: { log_record: failing } });
    let thrown: unknown;
    try {
      processor.process(auditRecordView(bad));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FilterConditionError);
    expect(thrown).toBeInstanceOf(PermanentError);
    expect((thrown as FilterConditionError).code).toBe('PIPELINE_PERMANENT');
    expect((thrown as FilterConditionError).retryable).toBe(false);
  });

  it('comparing different kinds is false, not an error, in every mode', () => {
    const { processor } = processorFor({ logs: { log_record: ['attributes["a"] > 5'] } });
    expect(processor.process(auditRecordView(rec({ attributes: [{ key: 'a', value: 'text' }] })))).toBe(true);
    expect(processor.errorCount).toBe(0);
  });
});

describe('filter processor with legacy match properties', () => {
  const resource = (host: string) => createAuditResource({ attributes: [{ key: 'host.name', value: host }] });

  it('include keeps only matching records; exclude drops matching ones; include first', () => {
    const { processor } = processorFor({
      logs: {
        include: { match_type: 'regexp', resource_attributes: [{ key: 'host.name', value: 'prefix.*' }] },
        exclude: { match_type: 'strict', record_attributes: [{ key: 'drop', value: true }] },
      },
    });
    const a = rec({ resource: resource('prefix-1') });
    const b = rec({ resource: resource('other') });
    const c = rec({ resource: resource('prefix-2'), attributes: [{ key: 'drop', value: true }] });
    const d = rec({ resource: resource('prefix-3'), attributes: [{ key: 'drop', value: 'true' }] });
    expect(kept(processor, [a, b, c, d])).toEqual([a, d]);
  });

  it('matches bodies, severity texts and severity numbers', () => {
    const bodies = processorFor({
      logs: { include: { match_type: 'regexp', bodies: ['^IMPORTANT'] } },
    }).processor;
    const x = rec({ body: 'IMPORTANT RECORD' });
    expect(kept(bodies, [x, rec({ body: 'noise' }), rec({})])).toEqual([x]);

    const texts = processorFor({
      logs: { exclude: { match_type: 'strict', severity_texts: ['DEBUG'] } },
    }).processor;
    expect(kept(texts, [rec({ severityText: 'DEBUG' }), rec({ severityText: 'debug' })])).toHaveLength(1);

    const min = processorFor({
      logs: { include: { severity_number: { min: 'info', match_undefined: true } } },
    }).processor;
    const levels = [0, 5, 9, 24].map((severityNumber) => rec({ severityNumber }));
    expect(kept(min, levels).map((r) => r.severityNumber)).toEqual([0, 9, 24]);
    const strictMin = processorFor({ logs: { include: { severity_number: { min: 13 } } } }).processor;
    expect(kept(strictMin, levels).map((r) => r.severityNumber)).toEqual([24]);
  });

  it('a value over the regex input cap is never a reason to drop: include keeps it, exclude keeps it', () => {
    // `\\d+x` is quadratic, so its cap is 4,096 characters (backtracking.ts); 16,384 for `audit`.
    const long = rec({ body: `${'a'.repeat(5_000)} 42x` });
    const longer = rec({ body: `audit ${'a'.repeat(REGEX_INPUT_LENGTH_MAX)}` });
    const short = rec({ body: '42x' });
    const other = rec({ body: 'noise' });
    const include = processorFor({
      logs: { include: { match_type: 'regexp', bodies: ['\\d+x', '^audit'] } },
    });
    expect(kept(include.processor, [long, longer, short, other])).toEqual([long, longer, short]);
    const attrs = processorFor({
      logs: { include: { match_type: 'regexp', record_attributes: [{ key: 'm', value: '\\d+x' }] } },
    });
    const attr = (m: string) => rec({ attributes: [{ key: 'm', value: m }] });
    const longAttr = attr(`${'a'.repeat(5_000)} 42x`);
    expect(kept(attrs.processor, [longAttr, attr('noise')])).toEqual([longAttr]);
    const exclude = processorFor({ logs: { exclude: { match_type: 'regexp', bodies: ['\\d+x'] } } });
    expect(kept(exclude.processor, [long, short, other])).toEqual([long, other]);
  });

  it('ignores match properties that specify nothing, as the Collector does', () => {
    const { processor } = processorFor({ logs: { include: { match_type: 'strict' } } });
    expect(processor.process(auditRecordView(rec({})))).toBe(true);
  });
});

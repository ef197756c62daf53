import { describe, expect, it } from 'vitest';
import { checkComponentSchema } from '../../config/checkComponentSchema.ts';
import { processorConfigTester } from '../../test/helpers/processorConfigTests.ts';
import { attributesProcessorFactory } from './factory.ts';

const { issues, createGolden } = processorConfigTester(attributesProcessorFactory, import.meta.url);

describe('attributes processor configuration', () => {
  it('meets the component schema contract', () => {
    expect(checkComponentSchema(attributesProcessorFactory)).toEqual([]);
  });

  it('loads and creates every golden configuration', () => {
    const processors = createGolden('config.yaml');
    expect(processors).toHaveLength(17);
    for (const processor of processors) expect(processor.mutates).toBe(true);
  });

  it('reports invalid actions at their YAML path', () => {
    expect(issues('    actions: [{ action: insert, value: 1 }]')).toEqual([
      'actions[0]::key: is required for action "insert"',
    ]);
    expect(issues('    actions: [{ key: a, action: upsert }]')).toEqual([
      'actions[0]: action "upsert" needs one of "value", "from_attribute", "from_context" or "default_value"',
    ]);
    expect(issues('    actions: [{ key: a, action: update, value: 1, from_attribute: b }]')).toEqual([
      'actions[0]: only one of "value", "from_attribute" and "from_context" may be set',
    ]);
    expect(issues('    actions: [{ key: a, action: insert, value: 1, pattern: x }]')).toEqual([
      'actions[0]::pattern: is not used by action "insert"',
    ]);
    expect(issues('    actions: [{ key: a, action: insert, from_context: metadata.origin }]')).toEqual([
      'actions[0]::from_context: is not supported: otel-audit processors see one record, not the request it came in (client metadata, authentication); use from_attribute or value',
    ]);
    expect(issues('    actions: [{ action: delete }]')).toEqual([
      'actions[0]: action "delete" needs "key" and/or "pattern"',
    ]);
    expect(issues('    actions: [{ key: a, action: hash, value: x }]')).toEqual([
      'actions[0]::value: is not used by action "hash"',
    ]);
    expect(issues("    actions: [{ key: a, action: delete, pattern: '(' }]")[0]).toMatch(
      /^actions\[0\]::pattern: invalid regular expression "\("/,
    );
    expect(issues("    actions: [{ key: a, action: extract, pattern: '^(a)$' }]")).toEqual([
      'actions[0]::pattern: contains no named capture groups',
    ]);
    expect(issues("    actions: [{ key: a, action: extract, pattern: '^(?P<x>a)(b)$' }]")).toEqual([
      'actions[0]::pattern: contains an unnamed capture group; name every group, e.g. (?P<name>...), or use (?:...)',
    ]);
    expect(issues('    actions: [{ key: a, action: extract }]')).toEqual([
      'actions[0]::pattern: is required for action "extract"',
    ]);
    expect(issues('    actions: [{ key: a, action: convert }]')).toEqual([
      'actions[0]::converted_type: is required for action "convert" (int, double or string)',
    ]);
    expect(issues('    actions: [{ key: a, action: convert, converted_type: float }]')).toEqual([
      'actions[0]::converted_type: expected one of int|double|string, got "float"',
    ]);
    expect(issues('    actions: [{ key: a, action: rename }]')[0]).toMatch(
      /^actions\[0\]::action: expected one of insert\|update\|upsert\|delete\|hash\|extract\|convert, got "rename"/,
    );
    expect(issues('    actions: [{ key: a, action: INSERT, value: 9007199254740993 }]')).toEqual([
      'actions[0]::value: the integer 9007199254740992 cannot be read exactly (beyond ±(2^53 - 1)); write it as a string and use action: convert',
    ]);
  });

  it('reports invalid include/exclude properties for logs', () => {
    const action = '    actions: [{ key: a, action: delete }]\n';
    expect(issues(`${action}    include: { match_type: strict, services: [svc] }`)).toEqual([
      'include::services: is not valid for log records (spans only)',
    ]);
    expect(
      issues(`${action}    exclude: { match_type: strict, metric_names: [m], log_bodies: [b] }`),
    ).toEqual(['exclude::metric_names: is not valid for log records (metrics only)']);
    expect(issues(`${action}    include: { match_type: strict }`)).toEqual([
      'include: must specify at least one of attributes, libraries, resources, log_bodies, log_severity_texts or log_severity_number',
    ]);
    expect(
      issues(`${action}    include: { match_type: regexp, attributes: [{ key: a, value: 1 }] }`),
    ).toEqual(['include::attributes[0]::value: match_type regexp for "a" only supports string values']);
    expect(issues(`${action}    include: { attributes: [{ key: a, value: x }] }`)).toEqual([
      'include::attributes[0]: matching an attribute value needs match_type (strict or regexp)',
    ]);
    expect(issues(`${action}    include: { log_bodies: [x] }`)).toEqual([
      'include::log_bodies: needs match_type (strict or regexp)',
    ]);
    expect(issues(`${action}    include: { match_type: strict, attributes: [{ key: '' }] }`)).toEqual([
      'include::attributes[0]::key: must not be empty',
    ]);
    expect(issues(`${action}    include: { attributes: [{ key: present }] }`)).toEqual([]);
  });
});

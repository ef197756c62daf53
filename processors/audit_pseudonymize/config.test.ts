import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkComponentSchema } from '../../config/checkComponentSchema.ts';
import { loadProcessorConfigs, processorConfigIssues } from '../filter/testing/loadProcessorConfigs.ts';
import { auditPseudonymizeProcessorFactory } from './factory.ts';

const testdata = (name: string) => fileURLToPath(new URL(`./testdata/${name}`, import.meta.url));
const issues = (yaml: string) =>
  processorConfigIssues(`processors:\n  audit_pseudonymize:\n${yaml}`, [
    auditPseudonymizeProcessorFactory,
  ]).map((issue) => `${issue.path.replace('processors::audit_pseudonymize::', '')}: ${issue.message}`);
const KEY = '    keys: [{ env: K }]\n';

describe('audit_pseudonymize configuration', () => {
  it('meets the component schema contract', () => {
    expect(checkComponentSchema(auditPseudonymizeProcessorFactory)).toEqual([]);
  });

  it('loads every golden configuration', () => {
    const config = loadProcessorConfigs({ kind: 'file', path: testdata('config.yaml') }, [
      auditPseudonymizeProcessorFactory,
    ]);
    expect(config.processors.size).toBe(4);
  });

  it('reports problems at their YAML path', () => {
    expect(issues('    attributes: [user.id]')).toEqual(['keys: is required (expected a list)']);
    expect(issues('    keys: []')).toEqual(['keys: needs at least one key (the first is the active one)']);
    expect(issues('    keys: [{ env: K, file: f }]')).toEqual([
      'keys[0]: set exactly one of file, env or value',
    ]);
    expect(issues('    keys: [{}]')).toEqual(['keys[0]: set exactly one of file, env or value']);
    expect(issues(`${KEY}    reversal_keys: [{ env: R }, { fil: x }]`)[0]).toMatch(
      /^reversal_keys\[1\]: .*fil/,
    );
    expect(issues(`${KEY}    attributes: [a, '', a, .b]`)).toEqual([
      'attributes[1]: must not be empty',
      'attributes[2]: "a" is listed twice',
      'attributes[3]: must not start or end with "."',
    ]);
    expect(issues(`${KEY}    body_paths: [user.]`)).toEqual([
      'body_paths[0]: must not start or end with "."',
    ]);
    expect(issues(`${KEY}    attribute: [a]`)[0]).toMatch(/attribute/);
  });
});

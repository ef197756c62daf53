import { describe, expect, it } from 'vitest';
import {
  createAuditRecord,
  createAuditResource,
  createAuditScope,
  type AuditRecord,
} from '../../src/record/AuditRecord.ts';
import { attrs, run } from './testing.ts';

describe('attributes processor include/exclude', () => {
  const action = [{ key: 'token', action: 'delete' }];
  const record = (init: Partial<AuditRecord>) =>
    createAuditRecord({ ...init, attributes: [...(init.attributes ?? []), { key: 'token', value: 't' }] });
  /** True when the processor changed the record (the token was deleted). */
  const applied = (config: Record<string, unknown>, init: Partial<AuditRecord>) =>
    !run({ actions: action, ...config }, record(init)).some((kv) => kv.key === 'token');

  it('strict attributes: presence, and values of the same type', () => {
    const include = {
      include: { match_type: 'strict', attributes: [{ key: 'env', value: 'dev' }, { key: 'test_request' }] },
    };
    expect(applied(include, { attributes: attrs(['env', 'dev'], ['test_request', false]) })).toBe(true);
    expect(applied(include, { attributes: attrs(['env', 'dev']) })).toBe(false);
    expect(applied(include, { attributes: attrs(['env', 'prod'], ['test_request', 1n]) })).toBe(false);
    const typed = { include: { match_type: 'strict', attributes: [{ key: 'n', value: 1 }] } };
    expect(applied(typed, { attributes: attrs(['n', 1n]) })).toBe(true);
    expect(applied(typed, { attributes: attrs(['n', 1.0]) })).toBe(false);
    expect(applied(typed, { attributes: attrs(['n', '1']) })).toBe(false);
  });

  it('regexp attributes test the text of strings, bools, ints and doubles', () => {
    const include = {
      include: {
        match_type: 'regexp',
        attributes: [{ key: 'db.statement', value: 'SELECT \\* FROM USERS.*' }],
      },
    };
    expect(applied(include, { attributes: attrs(['db.statement', 'SELECT * FROM USERS WHERE 1']) })).toBe(
      true,
    );
    expect(applied(include, { attributes: attrs(['db.statement', 'DELETE']) })).toBe(false);
    const num = {
      include: { match_type: 'regexp', attributes: [{ key: 'n', value: '^1000000000000000000000$' }] },
    };
    expect(applied(num, { attributes: attrs(['n', 1e21]) })).toBe(true);
    expect(applied(num, { attributes: attrs(['n', ['1000000000000000000000']]) })).toBe(false);
  });

  it('a value too long for the regex still gets the action: it counts as matching include, not exclude', () => {
    const long = 'patient-' + 'x'.repeat(20_000); // over the 16,384-character cap of a linear pattern
    const include = { include: { match_type: 'regexp', attributes: [{ key: 'kind', value: '^patient' }] } };
    expect(applied(include, { attributes: attrs(['kind', long]) })).toBe(true);
    expect(applied(include, { attributes: attrs(['kind', 'staff']) })).toBe(false);
    const exclude = { exclude: { match_type: 'regexp', attributes: [{ key: 'kind', value: '^patient' }] } };
    expect(applied(exclude, { attributes: attrs(['kind', long]) })).toBe(true);
    expect(applied(exclude, { attributes: attrs(['kind', 'patient-1']) })).toBe(false);
  });

  it('resources, libraries, bodies, severity texts and severity numbers', () => {
    const resource = createAuditResource({ attributes: attrs(['host.type', 'n1-standard-1']) });
    const exclude = {
      exclude: { match_type: 'strict', resources: [{ key: 'host.type', value: 'n1-standard-1' }] },
    };
    expect(applied(exclude, { resource })).toBe(false);
    expect(applied(exclude, {})).toBe(true);

    const scope = (version: string) => createAuditScope({ name: 'mongo-java-driver', version });
    const anyVersion = { include: { match_type: 'strict', libraries: [{ name: 'mongo-java-driver' }] } };
    const noVersion = {
      include: { match_type: 'strict', libraries: [{ name: 'mongo-java-driver', version: '' }] },
    };
    expect(applied(anyVersion, { scope: scope('3.8.0') })).toBe(true);
    expect(applied(noVersion, { scope: scope('3.8.0') })).toBe(false);
    expect(applied(noVersion, { scope: scope('') })).toBe(true);

    const bodies = { include: { match_type: 'regexp', log_bodies: ['AUTH.*'] } };
    expect(applied(bodies, { body: 'AUTH ok' })).toBe(true);
    expect(applied(bodies, { body: { values: attrs(['AUTH', 1n]) } })).toBe(true); // the JSON text of a map body
    expect(applied(bodies, { body: 'auth' })).toBe(false);

    const texts = { include: { match_type: 'strict', log_severity_texts: ['debug'] } };
    expect(applied(texts, { severityText: 'debug' })).toBe(true);
    expect(applied(texts, { severityText: 'DEBUG' })).toBe(false);

    const severity = { include: { log_severity_number: { min: 9 } } };
    expect(applied(severity, { severityNumber: 9 })).toBe(true);
    expect(applied(severity, { severityNumber: 8 })).toBe(false);
    expect(applied(severity, { severityNumber: 0 })).toBe(false);
  });

  it('include is checked before exclude', () => {
    const config = {
      include: { match_type: 'strict', attributes: [{ key: 'env', value: 'production' }] },
      exclude: { match_type: 'strict', attributes: [{ key: 'redact_trace', value: false }] },
    };
    expect(applied(config, { attributes: attrs(['env', 'production'], ['redact_trace', 'false']) })).toBe(
      true,
    );
    expect(applied(config, { attributes: attrs(['env', 'production'], ['redact_trace', false]) })).toBe(
      false,
    );
    expect(applied(config, { attributes: attrs(['env', 'staging']) })).toBe(false);
  });
});

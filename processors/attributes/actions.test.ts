import { describe, expect, it } from 'vitest';
import { REGEX_INPUT_LENGTH_MAX } from '../filter/match/regex.ts';
import { attrs, run, withAttrs } from './testing.ts';

const one = (action: Record<string, unknown>) => ({ actions: [action] });

describe('attributes processor actions', () => {
  it('insert, update and upsert values typed as in YAML', () => {
    const config = {
      actions: [
        { key: 'int', value: 123, action: 'insert' },
        { key: 'double', value: 1.5, action: 'insert' },
        { key: 'bool', value: true, action: 'INSERT' },
        { key: 'list', value: ['a', 1], action: 'insert' },
        { key: 'map', value: { k: 'v', n: null }, action: 'insert' },
        { key: 'existing', value: 'new', action: 'insert' },
        { key: 'existing', value: 'updated', action: 'update' },
        { key: 'absent', value: 'x', action: 'update' },
        { key: 'upserted', value: 'u', action: 'upsert' },
      ],
    };
    expect(run(config, withAttrs(['existing', 'old']))).toEqual(
      attrs(
        ['existing', 'updated'],
        ['int', 123n],
        ['double', 1.5],
        ['bool', true],
        ['list', ['a', 1n]],
        ['map', { values: attrs(['k', 'v'], ['n', null]) }],
        ['upserted', 'u'],
      ),
    );
  });

  it('copies from_attribute, and falls back to default_value', () => {
    const config = {
      actions: [
        { key: 'copy', from_attribute: 'src', action: 'upsert' },
        { key: 'nothing', from_attribute: 'missing', action: 'insert' },
        { key: 'region', from_attribute: 'cloud.region', default_value: 'us-east-1', action: 'insert' },
      ],
    };
    const record = withAttrs(['src', { values: attrs(['deep', 'x']) }]);
    const result = run(config, record);
    expect(result).toEqual(
      attrs(
        ['src', { values: attrs(['deep', 'x']) }],
        ['copy', { values: attrs(['deep', 'x']) }],
        ['region', 'us-east-1'],
      ),
    );
    expect(result[1]?.value).not.toBe(result[0]?.value); // a copy, not a shared container
  });

  it('runs the Collector\'s "complex" example in order', () => {
    const config = {
      actions: [
        { key: 'operation', value: 'default', action: 'insert' },
        { key: 'svc.operation', from_attribute: 'operation', action: 'upsert' },
        { key: 'operation', action: 'delete' },
      ],
    };
    expect(
      run(config, withAttrs(['timeout', 10n], ['svc.operation', 'addition'], ['operation', 'addition'])),
    ).toEqual(attrs(['timeout', 10n], ['svc.operation', 'addition']));
    expect(run(config, withAttrs(['timeout', 10n], ['math_value', 4n]))).toEqual(
      attrs(['timeout', 10n], ['math_value', 4n], ['svc.operation', 'default']),
    );
  });

  it('delete removes the key (every entry) and the keys matching the pattern', () => {
    const config = { actions: [{ key: 'a', pattern: '^secret\\.', action: 'delete' }] };
    expect(
      run(config, withAttrs(['a', 1n], ['secret.x', 1n], ['keep', 1n], ['a', 2n], ['secret.y', 2n])),
    ).toEqual(attrs(['keep', 1n]));
  });

  it('hash: SHA-256 hex of the value bytes, stable and Collector-compatible', () => {
    const config = {
      actions: ['s', 'i', 'd', 'b', 'u', 'empty', 'bytes', 'map', 'missing'].map((key) => ({
        key,
        action: 'hash',
      })),
    };
    const result = run(
      config,
      withAttrs(
        ['s', 'abc'],
        ['i', -2n],
        ['d', 1.5],
        ['b', true],
        ['u', 'é'],
        ['empty', ''],
        ['bytes', Uint8Array.of(1)],
        ['map', { values: [] }],
      ),
    );
    expect(result).toEqual(
      attrs(
        ['s', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
        ['i', '81b37f7f8b78762feb067131152a700548754f937a0668c1f327d2ee1a2d2801'],
        ['d', 'e163f8cb0f7067a7fc78ca859a77f849aea3214f38fb75b884e4a16be725c905'],
        ['b', '4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a'],
        ['u', '4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c'],
        ['empty', ''],
        ['bytes', ''],
        ['map', ''],
      ),
    );
  });

  it('hash by pattern; a key both named and matched is hashed twice, as in the Collector', () => {
    const config = { actions: [{ key: 'user.email', pattern: '^user\\.', action: 'hash' }] };
    const result = run(config, withAttrs(['user.email', 'abc'], ['user.id', 'abc'], ['other', 'abc']));
    expect(result).toEqual(
      attrs(
        ['user.email', 'dfe7a23fefeea519e9bbfdd1a6be94c4b2e4529dd6b7cbea83f9959c2621b13c'],
        ['user.id', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
        ['other', 'abc'],
      ),
    );
  });

  it('hash leaves no clear-text duplicate entry behind', () => {
    const result = run(
      one({ key: 'pii', action: 'hash' }),
      withAttrs(['pii', 'abc'], ['x', 1n], ['pii', 'second']),
    );
    expect(result).toEqual(
      attrs(['x', 1n], ['pii', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad']),
    );
  });

  it('extract sets every named group (unmatched ones to "") and leaves the source', () => {
    const config = one({
      key: 'http.url',
      pattern:
        '^(?P<http_protocol>.*):\\/\\/(?P<http_domain>[^/]*)\\/(?P<http_path>[^?]*)(?:\\?(?P<query>.*))?',
      action: 'extract',
    });
    expect(run(config, withAttrs(['http.url', 'http://example.com/path'], ['http_domain', 'old']))).toEqual(
      attrs(
        ['http.url', 'http://example.com/path'],
        ['http_domain', 'example.com'],
        ['http_protocol', 'http'],
        ['http_path', 'path'],
        ['query', ''],
      ),
    );
    expect(run(config, withAttrs(['http.url', 42n]))).toEqual(attrs(['http.url', 42n]));
    expect(run(config, withAttrs(['http.url', 'no match']))).toEqual(attrs(['http.url', 'no match']));
    const long = `http://a/${'x'.repeat(REGEX_INPUT_LENGTH_MAX)}`;
    expect(run(config, withAttrs(['http.url', long]))).toEqual(attrs(['http.url', long]));
  });

  it('convert to int: exact beyond 2^53, invalid and out-of-range values unchanged', () => {
    const keys = [
      'big',
      'neg',
      'plus',
      'bad',
      'space',
      'over',
      'dbl',
      'negdbl',
      'nan',
      'huge',
      'bool',
      'map',
      'int',
    ];
    const result = run(
      { actions: keys.map((key) => ({ key, action: 'convert', converted_type: 'int' })) },
      withAttrs(
        ['big', '9223372036854775807'],
        ['neg', '-9007199254740993'],
        ['plus', '+007'],
        ['bad', '12abc'],
        ['space', ' 1'],
        ['over', '9223372036854775808'],
        ['dbl', 2.9],
        ['negdbl', -2.9],
        ['nan', NaN],
        ['huge', 1e19],
        ['bool', true],
        ['map', { values: [] }],
        ['int', 5n],
      ),
    );
    expect(result).toEqual(
      attrs(
        ['big', 9223372036854775807n],
        ['neg', -9007199254740993n],
        ['plus', 7n],
        ['bad', '12abc'],
        ['space', ' 1'],
        ['over', '9223372036854775808'],
        ['dbl', 2n],
        ['negdbl', -2n],
        ['nan', NaN],
        ['huge', 1e19],
        ['bool', 1n],
        ['map', { values: [] }],
        ['int', 5n],
      ),
    );
  });

  it('convert to double and to string', () => {
    const toDouble = ['s', 'exp', 'inf', 'nan', 'bad', 'overflow', 'int', 'bool'].map((key) => ({
      key,
      action: 'convert',
      converted_type: 'double',
    }));
    expect(
      run(
        { actions: toDouble },
        withAttrs(
          ['s', '1.5'],
          ['exp', '-2e3'],
          ['inf', '-Inf'],
          ['nan', 'NaN'],
          ['bad', '1,5'],
          ['overflow', '1e400'],
          ['int', 9007199254740993n],
          ['bool', false],
        ),
      ),
    ).toEqual(
      attrs(
        ['s', 1.5],
        ['exp', -2000],
        ['inf', -Infinity],
        ['nan', NaN],
        ['bad', '1,5'],
        ['overflow', '1e400'],
        ['int', 9007199254740992],
        ['bool', 0],
      ),
    );
    const toString = ['i', 'd', 'small', 'b', 'bytes', 'map', 'list', 'empty', 's'].map((key) => ({
      key,
      action: 'convert',
      converted_type: 'string',
    }));
    expect(
      run(
        { actions: toString },
        withAttrs(
          ['i', -5n],
          ['d', 1.5],
          ['small', 1e-7],
          ['b', true],
          ['bytes', Uint8Array.of(1, 2, 3)],
          ['map', { values: attrs(['z', 1n], ['a', '<b>'], ['b', Uint8Array.of(255)]) }],
          ['list', [1.5, null, 'x']],
          ['empty', null],
          ['s', 'same'],
        ),
      ),
    ).toEqual(
      attrs(
        ['i', '-5'],
        ['d', '1.5'],
        ['small', '1e-7'],
        ['b', 'true'],
        ['bytes', 'AQID'],
        ['map', '{"a":"\\u003cb\\u003e","b":"/w==","z":1}'],
        ['list', '[1.5,null,"x"]'],
        ['empty', ''],
        ['s', 'same'],
      ),
    );
  });
});

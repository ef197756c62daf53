/** The built-in detectors: what each reports, and the look-alikes it must not. */
import { describe, expect, it } from 'vitest';
import { issuerPlausible, luhnValid } from './detectors/card.ts';
import { mod97 } from './detectors/iban.ts';
import { parseIpv6 } from './detectors/ipv6.ts';
import { detect } from './testing.ts';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';

describe('credit_card', () => {
  it.each([
    ['4111111111111111', 'credit_card:4111111111111111'],
    ['card 4111 1111 1111 1111 exp 12/27', 'credit_card:4111 1111 1111 1111'],
    ['pan=5500-0055-5555-5559;', 'credit_card:5500-0055-5555-5559'],
    ['amex 3782 822463 10005', 'credit_card:3782 822463 10005'],
    ['diners 3056 930902 5904', 'credit_card:3056 930902 5904'],
    ['pay(6011111111111117)', 'credit_card:6011111111111117'],
    ['unionpay 6212345678901265', 'credit_card:6212345678901265'],
  ])('finds %s', (text, expected) => expect(detect(text)).toEqual([expected]));

  it.each([
    ['4111 1111 1111 1112', 'Luhn fails'],
    ['1234567812345670', 'no issuer starts with 1'],
    ['4222222222222', '13-digit Visa (like an EAN-13)'],
    ['3411 1111 1111 1111', 'Amex prefix with 16 digits'],
    ['4111 1111-1111 1111', 'mixed separators'],
    ['USPS 9400 1000 0000 0000 0000 00', 'a piece of a longer run'],
    ['id4111111111111111', 'glued to a word'],
    ['4111111111111111abc', 'glued at the end'],
  ])('ignores %s (%s)', (text) =>
    expect(detect(text).filter((s) => s.startsWith('credit_card'))).toEqual([]),
  );

  it('implements Luhn and issuer ranges', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(issuerPlausible('2221000000000009')).toBe(true);
    expect(issuerPlausible('2721000000000009')).toBe(false);
    expect(issuerPlausible('3530111333300000')).toBe(true);
  });
});

describe('ssn', () => {
  it.each(['123-45-6789', '123 45 6789', 'SSN: 123456789', 'social security number 123456789'])(
    'finds %s',
    (text) => expect(detect(text)).toEqual([`ssn:${/\d[\d -]*\d/.exec(text)?.[0]}`]),
  );
  it.each([
    '000-12-3456',
    '666-12-3456',
    '912-34-5678',
    '123-00-4567',
    '123-45-0000',
    '078-05-1120',
    '123456789',
    '123-45 6789',
    '978-0-306-40615-7',
  ])('ignores %s', (text) => expect(detect(text).filter((s) => s.startsWith('ssn'))).toEqual([]));
});

describe('email', () => {
  it.each([
    ['alice@example.com', 'alice@example.com'],
    ['mailto:First.Last+tag@mail.example.co.uk.', 'First.Last+tag@mail.example.co.uk'],
    ["<o'brien@example.ie>", "o'brien@example.ie"],
    ['josé.garcía@example.es', 'josé.garcía@example.es'],
    ['?next=x&email=bob@corp.internal&x=1', 'bob@corp.internal'],
    ['ALICE@EXAMPLE.COM', 'ALICE@EXAMPLE.COM'],
  ])('finds %s', (text, email) => expect(detect(text)).toEqual([`email:${email}`]));
  it.each([
    'icon@2x.png',
    'lodash@4.17.21',
    'user@localhost',
    'a@b',
    '@types/node',
    'x@-bad.com',
    'a..b@example.com',
  ])('ignores %s', (text) => expect(detect(text)).toEqual([]));
});

describe('iban', () => {
  it.each([
    'DE89 3704 0044 0532 0130 00',
    'DE89370400440532013000',
    'GB82WEST12345698765432',
    'NL91ABNA0417164300',
  ])('finds %s', (iban) => expect(detect(`to ${iban}.`)).toEqual([`iban:${iban}`]));
  it.each([
    'DE89 3704 0044 0532 0130 01',
    'DE89370400440532013',
    'XX89370400440532013000',
    'de89370400440532013000',
  ])('ignores %s', (text) => expect(detect(text).filter((s) => s.startsWith('iban'))).toEqual([]));
  it('computes ISO 7064 mod 97', () => expect(mod97('370400440532013000DE89')).toBe(1));
});

describe('phone', () => {
  it.each([
    '+14155550123',
    '+1 (415) 555-0123',
    '+44 20 7946 0958',
    '+49 (0)30 1234567',
    '+33 1 23 45 67 89',
    '(415) 555-0123',
    '415-555-0123',
    '415.555.0123',
    '1-800-555-0199',
    '020 7946 0958',
    '030 12345678',
    '(030) 1234567',
    '01 23 45 67 89',
  ])('finds %s', (phone) => expect(detect(`call ${phone} now`)).toEqual([`phone:${phone}`]));
  it.each([
    '4155550123',
    '415-555-012',
    '123-456-7890',
    '415-555.0123',
    '2024-01-15',
    '10:30:00',
    '+12345',
    '0001-2345-6789',
    '978-3-16-148410-0',
    '01.02.2024',
  ])('ignores %s', (text) => expect(detect(text).filter((s) => s.startsWith('phone'))).toEqual([]));
});

describe('ipv4', () => {
  it.each(['10.0.1.2', '192.168.1.20', '203.0.113.7', '8.8.8.8'])('finds %s', (ip) =>
    expect(detect(`from ${ip}:8080`)).toEqual([`ipv4:${ip}`]),
  );
  it.each([
    '1.2.3.4.5',
    '256.1.1.1',
    '10.01.1.1',
    '127.0.0.1',
    '0.0.0.0',
    '255.255.255.0',
    '224.0.0.1',
    'v1.2.3.4',
    '1.2.3',
  ])('ignores %s', (text) => expect(detect(text)).toEqual([]));
});

describe('ipv6', () => {
  it.each([
    '2001:db8::8a2e:370:7334',
    'fe80::1',
    '2001:0db8:0000:0000:0000:ff00:0042:8329',
    '::ffff:192.0.2.1',
    'FE80::ABCD',
  ])('finds %s', (ip) => expect(detect(`client [${ip}]:443`)).toEqual([`ipv6:${ip}`]));
  it.each([
    '::',
    '::1',
    '10:30:00',
    '00:1a:2b:3c:4d:5e',
    'std::vector',
    'Foo::Bar',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::1',
  ])('ignores %s', (text) => expect(detect(text)).toEqual([]));
  it('parses RFC 4291 forms', () => {
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIpv6('1::8')).toEqual([1, 0, 0, 0, 0, 0, 0, 8]);
    expect(parseIpv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(parseIpv6('1.2.3.4::')).toBeUndefined();
    expect(parseIpv6('1:2:3:4:5:6:7::8')).toBeUndefined();
  });
});

describe('secrets', () => {
  it.each([
    [`jwt ${JWT} done`, `jwt:${JWT}`],
    ['aws AKIAIOSFODNN7EXAMPLE', 'aws_access_key:AKIAIOSFODNN7EXAMPLE'],
    ['AIzaSyD-1234567890abcdefghijklmnopqrstu', 'gcp_api_key:AIzaSyD-1234567890abcdefghijklmnopqrstu'],
    ['ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'github_token:ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['xoxb-1234567890-abcdefghij', 'slack_token:xoxb-1234567890-abcdefghij'],
    ['sent bearer abcdefgh.1234~xyz upstream', 'bearer_token:abcdefgh.1234~xyz'],
    [
      'AccountName=a;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzF==;x=y',
      'azure_storage_key:Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzF==',
    ],
  ])('finds %s', (text, expected) => expect(detect(text)).toEqual([expected]));

  it('finds private key blocks, and masks a block without its END line to the end', () => {
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----';
    expect(detect(`key ${pem} after`)).toEqual([`private_key:${pem}`]);
    expect(detect('x -----BEGIN PRIVATE KEY-----\nMIIE')).toEqual([
      'private_key:-----BEGIN PRIVATE KEY-----\nMIIE',
    ]);
  });

  it.each([
    'eyJ1c2VyIjoiYm9iIn0.eyJ4IjoxfQ.abcdefgh',
    'eyJhbGciOiJIUzI1NiJ9.e30',
    'xeyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig',
    'AKIAIOSFODNN7EXAMPL',
    'ghp_short',
    'bearer abc',
    'token_type: bearer',
  ])('ignores %s', (text) => expect(detect(text)).toEqual([]));

  it('finds values next to sensitive keys in text', () => {
    expect(detect('login failed password=hunter2 user=bob')).toEqual(['secret_assignment:hunter2']);
    expect(detect('{"api_key": "abc 123"}')).toEqual(['secret_assignment:abc 123']);
    expect(detect('Authorization: Basic dXNlcjpwdw==')).toEqual(['secret_assignment:Basic dXNlcjpwdw==']);
    expect(detect('x-api-key: k1, next')).toEqual(['secret_assignment:k1']);
    expect(detect('token_count: 12, password_changed_at: 2024, auth_method: saml')).toEqual([]);
    // The last words name the value: `prompt_tokens` ends in "token(s)", so its value is masked.
    expect(detect('prompt_tokens: 12')).toEqual(['secret_assignment:12']);
    expect(detect('password: [REDACTED:x]')).toEqual([]);
  });
});

describe('overlaps', () => {
  it('keeps the earliest, then longest span', () => {
    expect(detect(`Authorization: Bearer ${JWT}`)).toEqual([`secret_assignment:Bearer ${JWT}`]);
    expect(detect('mail 4111111111111111@example.com')).toEqual(['email:4111111111111111@example.com']);
  });

  it('honours disabled detectors', () => {
    expect(detect('from 10.0.0.1', { detectors: { ipv4: { enabled: false } } })).toEqual([]);
  });
});

describe('linear time', () => {
  it.each([
    ['digits and spaces', '1 '.repeat(500_000)],
    ['@ signs', 'a@'.repeat(500_000)],
    ['colons', 'a:'.repeat(500_000)],
    ['hex and colons', 'ab:'.repeat(330_000)],
    ['eyJ runs', 'eyJ'.repeat(330_000)],
    ['equals', 'password='.repeat(110_000)],
    ['letters', 'a'.repeat(1_000_000)],
    ['begin markers', '-----BEGIN PRIVATE KEY-----'.repeat(37_000)],
    ['dots and digits', '1.'.repeat(500_000)],
  ])('scans 1 MB of %s quickly', (_name, text) => {
    const start = performance.now();
    detect(text);
    expect(performance.now() - start).toBeLessThan(3_000);
  });
});

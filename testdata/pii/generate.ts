/**
 * Generates `corpus.jsonl`, the measured-quality corpus of the masking
 * detectors (processors/audit_mask/quality.test.ts): PII and secret samples
 * of every detector type, in varied formats and surrounding text, and benign
 * lines that look similar (timestamps, ids, versions, hashes, ...).
 *
 *   node testdata/pii/generate.ts      # rewrites testdata/pii/corpus.jsonl
 *
 * Deterministic: a seeded PRNG (mulberry32), no clock, no environment. The
 * generator does not import the detectors: it builds valid values from the
 * standards (Luhn, ISO 7064 mod-97, SSA rules, RFC 4291, RFC 7519) on its
 * own, so a detector bug cannot hide behind a shared helper.
 *
 * Line format: {"label":"pii","type":"<detector>","value":"<the sensitive part>","text":"<line>"}
 *              (plus "limitation":"<why>" for the samples in formats the detectors do not cover)
 *          or  {"label":"benign","category":"<what it is>","text":"<line>"}
 */
import fs from 'node:fs';

const SEED = 0x5eed_2026;
const PER_TYPE = 28;
const PER_BENIGN_CATEGORY = 12;

let state = SEED;
function random(): number {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1));
const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T;
const chars = (n: number, alphabet: string): string =>
  Array.from({ length: n }, () => alphabet[int(0, alphabet.length - 1)]).join('');
const DIGITS = '0123456789';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALNUM = UPPER + LOWER + DIGITS;
const B64URL = `${ALNUM}-_`;
const B64 = `${ALNUM}+/`;
const HEX = '0123456789abcdef';
const digits = (n: number): string => chars(n, DIGITS);
const b64url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');

// ---------------------------------------------------------------- values

function luhnCheckDigit(body: string): string {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let v = Number(body[body.length - 1 - i]);
    if (i % 2 === 0) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
    sum += v;
  }
  return String((10 - (sum % 10)) % 10);
}

const CARD_BRANDS: readonly (() => [string, number])[] = [
  () => ['4', 16],
  () => [String(int(51, 55)), 16],
  () => [String(int(2221, 2720)), 16],
  () => [pick(['34', '37']), 15],
  () => ['6011', 16],
  () => [String(int(644, 649)), 16],
  () => [String(int(3528, 3589)), 16],
  () => ['36', 14],
  () => ['62', pick([16, 19])],
  () => ['4', 19],
];

function cardNumber(): string {
  const [prefix, length] = pick(CARD_BRANDS)();
  const body = prefix + digits(length - prefix.length - 1);
  return body + luhnCheckDigit(body);
}

function formatCard(pan: string): string {
  const style = int(0, 3);
  if (style === 0) return pan;
  const sep = style === 1 ? ' ' : '-';
  if (pan.length === 15) return [pan.slice(0, 4), pan.slice(4, 10), pan.slice(10)].join(sep);
  if (pan.length === 14) return [pan.slice(0, 4), pan.slice(4, 10), pan.slice(10)].join(sep);
  return pan.match(/.{1,4}/g)?.join(sep) ?? pan;
}

function ssn(): string {
  let area = int(1, 899);
  if (area === 666) area = 667;
  const parts = [
    String(area).padStart(3, '0'),
    String(int(1, 99)).padStart(2, '0'),
    String(int(1, 9999)).padStart(4, '0'),
  ];
  return parts.join(pick(['-', '-', '-', ' ']));
}

function mod97(s: string): number {
  let r = 0;
  for (const c of s) r = /\d/.test(c) ? (r * 10 + Number(c)) % 97 : (r * 100 + (c.charCodeAt(0) - 55)) % 97;
  return r;
}

const IBAN_FORMATS: Readonly<Record<string, () => string>> = {
  DE: () => digits(18),
  GB: () => pick(['WEST', 'NWBK', 'BARC', 'LOYD', 'HBUK']) + digits(14),
  FR: () => digits(10) + chars(11, UPPER + DIGITS) + digits(2),
  ES: () => digits(20),
  IT: () => pick(UPPER.split('')) + digits(10) + chars(12, UPPER + DIGITS),
  NL: () => pick(['ABNA', 'INGB', 'RABO', 'TRIO']) + digits(10),
  BE: () => digits(12),
  CH: () => digits(17),
  AT: () => digits(16),
  PL: () => digits(24),
  SE: () => digits(20),
  NO: () => digits(11),
};

function iban(): string {
  const country = pick(Object.keys(IBAN_FORMATS));
  const bban = (IBAN_FORMATS[country] as () => string)();
  const check = String(98 - mod97(`${bban}${country}00`)).padStart(2, '0');
  const compact = `${country}${check}${bban}`;
  return random() < 0.5 ? compact : (compact.match(/.{1,4}/g)?.join(' ') ?? compact);
}

const FIRST = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'oscar',
  'peggy',
  'trent',
  'victor',
  'wendy',
  'zoe',
  'li',
  'mohammed',
  'sofia',
  'lukas',
  'emma',
];
const LAST = [
  'smith',
  'jones',
  'garcia',
  'müller'.replace('ü', 'u'),
  'nguyen',
  'kim',
  'rossi',
  'dubois',
  'kowalski',
  'silva',
  'tanaka',
  'okafor',
];
const DOMAINS = [
  'example.com',
  'example.org',
  'mail.example.co.uk',
  'corp.example.de',
  'example.io',
  'students.example.edu',
  'example.internal',
  'eu.example.net',
  'example.fr',
  'shop.example.app',
];

function email(): string {
  const first = pick(FIRST);
  const last = pick(LAST);
  const local = pick([
    `${first}.${last}`,
    `${first}${last}`,
    `${first}_${last}${int(1, 99)}`,
    `${first[0]}${last}`,
    `${first}+${pick(['news', 'billing', 'test'])}`,
    `${first}.${last}${int(1970, 2005)}`,
  ]);
  const address = `${local}@${pick(DOMAINS)}`;
  const hard = int(0, 9);
  if (hard === 0) return address.toUpperCase();
  if (hard === 1) return `${pick(["o'brien", 'josé.garcía', 'zoë', 'françois'])}@${pick(DOMAINS)}`;
  if (hard === 2) return `${first}@${pick(['dept', 'eu', 'mail'])}.${pick(['a', 'b'])}.example.museum`;
  return random() < 0.15 ? address.replace(/^./, (c) => c.toUpperCase()) : address;
}

function phone(): string {
  const nanp = () => `${int(2, 9)}${digits(2)}`;
  return pick([
    () => `+1${nanp()}${nanp()}${digits(4)}`,
    () => `+1 (${nanp()}) ${nanp()}-${digits(4)}`,
    () => `+1-${nanp()}-${nanp()}-${digits(4)}`,
    () => `(${nanp()}) ${nanp()}-${digits(4)}`,
    () => `${nanp()}-${nanp()}-${digits(4)}`,
    () => `${nanp()}.${nanp()}.${digits(4)}`,
    () => `1-800-${nanp()}-${digits(4)}`,
    () => `+44 20 ${digits(4)} ${digits(4)}`,
    () => `+44 7${digits(3)} ${digits(6)}`,
    () => `020 ${digits(4)} ${digits(4)}`,
    () => `07${digits(3)} ${digits(6)}`,
    () => `+49 30 ${digits(8)}`,
    () => `+49 (0)${int(151, 179)} ${digits(7)}`,
    () => `030 ${digits(8)}`,
    () => `+33 ${int(1, 7)} ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
    () => `0${int(1, 7)} ${digits(2)} ${digits(2)} ${digits(2)} ${digits(2)}`,
    () => `+31 6 ${digits(8)}`,
    () => `+61 4${digits(2)} ${digits(3)} ${digits(3)}`,
    () => `+81 90-${digits(4)}-${digits(4)}`,
    () => `+91 ${int(7, 9)}${digits(4)} ${digits(5)}`,
    () => `+1.${nanp()}.${nanp()}.${digits(4)}`,
    () => `+44 (0) 20 ${digits(4)} ${digits(4)}`,
    () => `(${nanp()})${nanp()}-${digits(4)}`,
  ])();
}

function ipv4(): string {
  let first = int(1, 223);
  if (first === 127) first = 128;
  return [first, int(0, 255), int(0, 255), int(1, 254)].join('.');
}

function ipv6(): string {
  const group = () => int(0, 0xffff).toString(16);
  const full = () => Array.from({ length: 8 }, group).join(':');
  return pick([
    full,
    () => `2001:db8:${group()}:${group()}::${group()}`,
    () => `fe80::${group()}:${group()}:${group()}:${group()}`,
    () => `2a00:1450:4001:${group()}::200e`,
    () => `::ffff:${ipv4()}`,
    () => full().toUpperCase(),
    () => `2001:0db8:0000:0000:0000:ff00:0042:${digits(4)}`,
    () => `2606:4700::${group()}`,
    () => `fe80::${group()}%eth0`,
  ])();
}

function jwt(): string {
  const header = pick([
    { alg: 'HS256', typ: 'JWT' },
    { alg: 'RS256', typ: 'JWT', kid: chars(8, HEX) },
    { alg: 'ES256' },
    { typ: 'JWT', alg: 'PS384' },
  ]);
  const payload = {
    sub: String(int(1000, 999999)),
    iat: 1_700_000_000 + int(0, 9_999_999),
    scope: pick(['read', 'write', 'admin']),
  };
  return `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}.${chars(pick([43, 86, 342]), B64URL)}`;
}

const awsKey = () => `${pick(['AKIA', 'ASIA'])}${chars(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
const gcpKey = () => `AIza${chars(35, B64URL)}`;
const azureKey = () => `${chars(86, B64)}==`;
const githubToken = () =>
  random() < 0.6
    ? `${pick(['ghp', 'gho', 'ghs'])}_${chars(36, ALNUM)}`
    : `github_pat_${chars(22, ALNUM)}_${chars(59, ALNUM)}`;
const slackToken = () =>
  `xox${pick(['b', 'p', 'a'])}-${digits(12)}-${digits(12)}-${chars(24, LOWER + DIGITS)}`;
const opaqueToken = () => chars(int(20, 48), `${ALNUM}-._~`);

function privateKey(): string {
  const label = pick(['RSA ', 'EC ', 'OPENSSH ', '', 'ENCRYPTED ']);
  const lines = Array.from({ length: int(2, 6) }, () => chars(64, B64));
  const sep = pick(['\n', '\\n']);
  return [`-----BEGIN ${label}PRIVATE KEY-----`, ...lines, `-----END ${label}PRIVATE KEY-----`].join(sep);
}

// ---------------------------------------------------------------- PII lines

interface PiiCase {
  readonly type: string;
  readonly value: () => string;
  readonly contexts: readonly string[];
}

const PII: readonly PiiCase[] = [
  {
    type: 'credit_card',
    value: () => formatCard(cardNumber()),
    contexts: [
      'Payment with card {} accepted',
      'PAN={}',
      '{"card_number":"{}"}',
      'charged {} exp 09/27',
      'cc: {}.',
      '{}',
      'refund to card ending in {}',
      'billing: {} (visa)',
      'card:{};cvv=***',
      'pay({})',
    ],
  },
  {
    type: 'email',
    value: email,
    contexts: [
      'user {} logged in',
      'From: "A. Person" <{}>',
      'mailto:{}',
      'invite sent to {}, expires in 7 days',
      '{"email":"{}"}',
      'contact={}&lang=en',
      'password reset for {}',
    ],
  },
  {
    type: 'ssn',
    value: ssn,
    contexts: [
      'SSN {} verified',
      'applicant ssn={}',
      '{"ssn": "{}"}',
      'tax id {} on file',
      'Social Security Number: {}',
    ],
  },
  {
    type: 'iban',
    value: iban,
    contexts: [
      'transfer to {} completed',
      'IBAN: {}',
      '{"iban":"{}","amount":"120.00"}',
      'payee account {}, ref INV-2291',
      'SEPA debit from {}',
    ],
  },
  {
    type: 'phone',
    value: phone,
    contexts: [
      'call back {} after 5pm',
      'tel: {}',
      'phone={}',
      '{"phone":"{}"}',
      'SMS code sent to {}',
      'Kontakt: {}',
    ],
  },
  {
    type: 'ipv4',
    value: ipv4,
    contexts: [
      'login from {}',
      'client={}',
      'connect {}:8443 failed',
      'X-Forwarded-For: {}, 10.0.0.1',
      '[{}] GET /api/v1/orders 200',
      'peer {}/32 blocked',
      'GET http://{}/admin',
      'ip:{};',
    ],
  },
  {
    type: 'ipv6',
    value: ipv6,
    contexts: ['login from {}', 'client_ip={}', 'connect [{}]:443 failed', 'peer {} blocked', '{"ip":"{}"}'],
  },
  {
    type: 'jwt',
    value: jwt,
    contexts: [
      'id_token={}',
      '{"access_token":"{}"}',
      'received jwt {} from idp',
      'cookie session={}; Path=/',
      'token {}',
      'https://app.example.com/cb#id_token={}&state=xyz',
    ],
  },
  {
    type: 'bearer_token',
    value: opaqueToken,
    contexts: [
      'Authorization: Bearer {}',
      'curl -H "Authorization: Bearer {}" https://api.example.com',
      'using bearer {} for upstream',
      'header authorization=Bearer {}',
    ],
  },
  {
    type: 'aws_access_key',
    value: awsKey,
    contexts: [
      'aws_access_key_id = {}',
      'using credentials {} for s3',
      'AWS_ACCESS_KEY_ID={}',
      '{"AccessKeyId":"{}"}',
    ],
  },
  {
    type: 'gcp_api_key',
    value: gcpKey,
    contexts: [
      'https://maps.googleapis.com/maps/api/geocode/json?key={}',
      'gcp key {} rejected',
      'GOOGLE_API_KEY={}',
    ],
  },
  {
    type: 'azure_storage_key',
    value: azureKey,
    contexts: [
      'DefaultEndpointsProtocol=https;AccountName=acct{};AccountKey={};EndpointSuffix=core.windows.net',
      'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={}',
    ],
  },
  {
    type: 'github_token',
    value: githubToken,
    contexts: [
      'git clone https://{}@github.com/org/repo.git',
      'GITHUB_TOKEN={}',
      'token {} expired',
      '{"token":"{}"}',
    ],
  },
  {
    type: 'slack_token',
    value: slackToken,
    contexts: ['slack bot {} connected', 'SLACK_TOKEN={}', 'posting with {}'],
  },
  {
    type: 'private_key',
    value: privateKey,
    contexts: ['loaded key {}', '{"private_key":"{}"}', '{}', 'config: tls.key={} end'],
  },
  {
    type: 'secret_assignment',
    value: () => chars(int(8, 24), `${ALNUM}!#%^*`),
    contexts: [
      'login failed: user=bob password={}',
      '{"db_password": "{}"}',
      'client_secret={}&grant_type=client_credentials',
      'api_key: {}',
      'export SECRET={}',
      'passwd={} rejected',
      "x-api-key: '{}'",
    ],
  },
];

function piiLines(): object[] {
  const lines: object[] = [];
  for (const c of PII) {
    for (let i = 0; i < PER_TYPE; i++) {
      const value = c.value();
      const context = c.contexts[i % c.contexts.length] as string;
      const text =
        c.type === 'azure_storage_key'
          ? context.replace('acct{}', `acct${digits(3)}`).replace('{}', value)
          : context.replaceAll('{}', value);
      lines.push({ label: 'pii', type: c.type, value, text });
    }
  }
  return lines;
}

/**
 * Values in formats the detectors deliberately do not recognise (docs/privacy.md, "Limits"): they
 * count as PII in the measurement, so the detection rate shows what the limits cost.
 */
function limitationLines(): object[] {
  const pan = cardNumber();
  const area = String(int(100, 665));
  const limits: [string, string, string, string][] = [
    ['credit_card', 'dot-separated card number', (pan.match(/.{1,4}/g) ?? []).join('.'), 'card {} on file'],
    ['phone', 'ten bare digits', `${int(2, 9)}${digits(2)}${int(2, 9)}${digits(6)}`, 'callback number {}'],
    [
      'ssn',
      'nine bare digits without an SSN label',
      `${area}${String(int(10, 99))}${digits(4).replace(/^0/, '1')}`,
      'member {} enrolled',
    ],
    ['iban', 'lower-case IBAN', iban().toLowerCase(), 'iban {}'],
    ['email', 'IP-literal domain', `${pick(FIRST)}@[192.0.2.${int(1, 254)}]`, 'reply to {}'],
    ['bearer_token', 'credential shorter than 8 characters', chars(6, ALNUM), 'using bearer {} upstream'],
    ['ipv4', 'octets with leading zeros', `10.0${int(10, 99)}.00${int(1, 9)}.0${int(10, 99)}`, 'from {}'],
  ];
  return limits.map(([type, limitation, value, context]) => ({
    label: 'pii',
    type,
    value,
    text: context.replace('{}', value),
    limitation,
  }));
}

// ---------------------------------------------------------------- benign lines

const uuid = () =>
  [
    chars(8, HEX),
    chars(4, HEX),
    `4${chars(3, HEX)}`,
    `${pick(['8', '9', 'a', 'b'])}${chars(3, HEX)}`,
    chars(12, HEX),
  ].join('-');
const isoTime = () =>
  `20${int(19, 26)}-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}T${String(int(0, 23)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}.${digits(3)}Z`;

function nonLuhn16(): string {
  const body = `4${digits(14)}`;
  const check = (Number(luhnCheckDigit(body)) + int(1, 9)) % 10;
  const pan = `${body}${check}`;
  return random() < 0.5 ? pan : (pan.match(/.{4}/g)?.join(' ') ?? pan);
}

const BENIGN: Readonly<Record<string, () => string>> = {
  timestamp: () =>
    pick([
      `ts=${isoTime()}`,
      `${isoTime().replace('T', ' ').slice(0, 19)} INFO started`,
      `epoch_ms=${1_700_000_000_000 + int(0, 99_999_999)}`,
      `at ${String(int(0, 23)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}.${digits(3)}`,
    ]),
  date: () =>
    pick([
      `due 20${int(20, 29)}-${String(int(1, 12)).padStart(2, '0')}-${String(int(1, 28)).padStart(2, '0')}`,
      `valid until ${int(1, 28)}/${int(1, 12)}/20${int(24, 30)}`,
      `Mar ${int(1, 28)} 10:${int(10, 59)}:0${int(0, 9)} host sshd[${int(100, 99999)}]: session opened`,
    ]),
  uuid: () => pick([`request_id=${uuid()}`, `trace ${uuid()} span ${chars(16, HEX)}`, `{"id":"${uuid()}"}`]),
  order_number: () =>
    pick([
      `order ORD-20${int(20, 26)}-${digits(6)} shipped`,
      `invoice INV-${digits(8)}`,
      `order #${digits(9)} placed`,
      `cart ${digits(10)} checked out`,
      `account 000${digits(9)} balance ok`,
    ]),
  version: () =>
    pick([
      `version ${int(0, 9)}.${int(0, 20)}.${int(0, 40)}`,
      `v${int(1, 9)}.${int(0, 9)}.${int(0, 9)}.${int(0, 9)}.${int(0, 9)}`,
      `node ${int(18, 24)}.${int(0, 21)}.${int(0, 9)}`,
      `Chrome/${int(100, 130)}.0.${int(4000, 6999)}.${int(10, 250)}`,
      `build 10.0.${int(17000, 22999)}.${int(1000, 4000)}`,
      `release ${int(1, 5)}.${int(0, 9)}.0-rc.${int(1, 9)}`,
    ]),
  isbn: () =>
    pick([
      `ISBN 978-${int(0, 9)}-${digits(3)}-${digits(5)}-${int(0, 9)}`,
      `isbn13=978${digits(10)}`,
      `ISBN 0-${digits(3)}-${digits(5)}-${int(0, 9)}`,
    ]),
  tracking_number: () =>
    pick([
      `UPS 1Z${chars(6, UPPER + DIGITS)}${digits(10)}`,
      `fedex ${digits(12)}`,
      `USPS 9400 ${digits(4)} ${digits(4)} ${digits(4)} ${digits(4)} ${digits(2)}`,
      `DHL JD${digits(18)}`,
    ]),
  hex_hash: () =>
    pick([
      `sha256:${chars(64, HEX)}`,
      `commit ${chars(40, HEX)}`,
      `etag "${chars(32, HEX)}"`,
      `git ${chars(7, HEX)} merged`,
      `ptr 0x${chars(12, HEX)}`,
    ]),
  ip_like_version: () =>
    pick([
      `lib ${int(1, 9)}.${int(0, 9)}.${int(0, 9)}.${int(0, 9)}.${int(0, 9)}`,
      `protocol 1.${int(0, 9)}.${int(0, 9)}`,
      `octets ${int(256, 999)}.${int(0, 255)}.${int(0, 255)}.${int(0, 255)}`,
      `mask 255.255.${pick(['255.0', '0.0', '255.240'])}`,
      `listen 0.0.0.0:${int(1024, 65535)}`,
      `health http://127.0.0.1:${int(1024, 65535)}/healthz`,
    ]),
  price: () =>
    pick([
      `total $${int(1, 9)},${digits(3)}.${digits(2)}`,
      `EUR ${int(1, 999)}.${digits(2)}`,
      `amount=${int(1, 99999)}.${digits(2)} USD`,
      `price: ${int(1, 999)},${digits(2)} €`,
    ]),
  non_luhn_16: () => pick([`ref ${nonLuhn16()}`, `batch ${nonLuhn16()} processed`]),
  random_16_digits: () =>
    pick([`id ${pick(['1', '7', '8', '9'])}${digits(15)}`, `seq ${digits(16).replace(/^./, '0')}`]),
  base64_blob: () =>
    pick([
      `payload ${Buffer.from(chars(int(20, 60), ALNUM)).toString('base64')}`,
      `state=${b64url(JSON.stringify({ user: pick(FIRST), n: int(1, 99) }))}`,
      `cursor ${b64url(JSON.stringify({ page: int(1, 9) }))}.${b64url(JSON.stringify({ x: 1 }))}.${chars(20, B64URL)}`,
      `data:image/png;base64,${chars(40, B64)}==`,
    ]),
  duration: () =>
    pick([
      `took ${int(1, 9999)}ms`,
      `GC pause ${int(1, 99)}.${digits(1)}ms`,
      `latency p99=${int(1, 999)}ms p50=${int(1, 99)}ms`,
      `uptime ${int(1, 99)}d ${int(0, 23)}h`,
    ]),
  http_line: () =>
    `${pick(['GET', 'POST', 'PUT'])} /api/v${int(1, 3)}/${pick(['users', 'orders', 'items'])}/${int(1, 99999)} ${pick([200, 201, 404, 500])} ${int(1, 999)}ms`,
  time_and_mac: () =>
    pick([
      `cron ${String(int(0, 23)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}:00 fired`,
      `mac ${Array.from({ length: 6 }, () => chars(2, HEX)).join(':')} up`,
      `elapsed ${int(0, 9)}:${String(int(0, 59)).padStart(2, '0')}:${String(int(0, 59)).padStart(2, '0')}`,
    ]),
  code_paths: () =>
    pick([
      'std::vector<int> resized',
      'crate::config::load failed',
      'at com.example.Service.handle(Service.java:42)',
      'Foo::Bar::baz() called',
      'ns::detail::impl_ptr reset',
    ]),
  file_names: () =>
    pick([
      `icon@2x.png`,
      `lodash@4.17.${int(0, 21)}`,
      `@types/node@${int(18, 24)}.0.0`,
      `image: nginx@sha256:${chars(12, HEX)}`,
      `logo@3x.webp`,
    ]),
  counts: () =>
    pick([
      `processed ${digits(10)} records`,
      `heap ${int(1, 9)}${digits(8)} bytes`,
      `${int(100, 999)}-${int(100, 999)}-${int(100, 999)} batch`,
      `rows=${int(1, 9)}${digits(5)} cols=${int(1, 99)}`,
    ]),
  geo_and_units: () =>
    pick([
      `lat ${int(-89, 89)}.${digits(4)} lon ${int(-179, 179)}.${digits(4)}`,
      `temp ${int(-20, 40)}.${digits(1)}C`,
      `disk ${int(1, 99)}.${digits(1)}% used`,
    ]),
  k8s_names: () =>
    pick([
      `pod api-${chars(10, LOWER + DIGITS)}-${chars(5, LOWER + DIGITS)} restarted`,
      `node ip-10-0-${int(0, 255)}-${int(0, 255)}.ec2.internal ready`,
      `deployment web-${int(1, 9)} scaled to ${int(1, 20)}`,
    ]),
  key_words_no_secret: () =>
    pick([
      'password reset email sent',
      'token expired, refreshing',
      `prompt_token_count: ${int(1, 9999)}`,
      'auth_method: saml',
      `password_changed_at: ${isoTime()}`,
      'secret rotation scheduled',
      `token_type: bearer`,
      'session started for tenant acme',
    ]),
  phone_like_numbers: () =>
    pick([
      `room ${int(100, 999)}-${int(10, 99)}`,
      `part no. ${digits(3)}-${digits(4)}`,
      `ticket ${int(1, 9)}${digits(9)}`,
      `code 0000-${digits(4)}-${digits(4)}`,
      `+${int(1, 99)}% growth`,
    ]),
  ean_barcodes: () => `EAN ${pick(['3', '4', '5', '7', '8', '9'])}${digits(12)}`,
  urls: () =>
    pick([
      `https://example.com/search?q=${pick(['shoes', 'tea', 'books'])}&page=${int(1, 9)}`,
      `ftp://files.example.org/pub/${digits(4)}/readme.txt`,
      `redirect to /login?next=%2Fdashboard`,
    ]),
  emails_not: () =>
    pick(['user@localhost', 'admin@ tenant', 'ping @channel', `@${pick(FIRST)} thanks!`, 'git@host:repo']),
};

function benignLines(): object[] {
  const lines: object[] = [];
  for (const [category, make] of Object.entries(BENIGN)) {
    for (let i = 0; i < PER_BENIGN_CATEGORY; i++) lines.push({ label: 'benign', category, text: make() });
  }
  return lines;
}

const out = [...piiLines(), ...limitationLines(), ...benignLines()]
  .map((line) => JSON.stringify(line))
  .join('\n');
fs.writeFileSync(new URL('./corpus.jsonl', import.meta.url), `${out}\n`);
process.stdout.write(`wrote ${out.split('\n').length} lines to testdata/pii/corpus.jsonl\n`);

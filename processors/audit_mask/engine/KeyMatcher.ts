/**
 * Case-insensitive key matching by words, for `sensitive_keys` and
 * `block_keys`: a key and every configured name are split into words (at
 * non-alphanumeric characters and camelCase boundaries, lower-cased, a plural
 * `s` dropped), and a name matches when its words, joined, equal the join of
 * the key's LAST words. So `api_key` matches `x-api-key`, `apiKey`,
 * `API_KEY` and `apikey`; `token` matches `access_token` and
 * `refreshTokens` but not `tokenizer`, `token_count` or `token_type`;
 * `password` matches `db.password` but not `password_changed_at`; `auth`
 * matches `x-auth` but not `author`, `oauth` or `auth_method`. (The last
 * words name what a value is; earlier words only qualify it.)
 *
 * Results are cached per key (keys repeat from record to record); the cache
 * is cleared when it reaches `CACHE_ENTRIES_MAX`.
 */

const CACHE_ENTRIES_MAX = 4096;
/** Words of a key considered (a longer key is matched on its last words). */
const KEY_WORDS_MAX = 24;

export class KeyMatcher {
  private readonly names: ReadonlySet<string>;
  private readonly joinedLengthMax: number;
  private readonly cache = new Map<string, boolean>();

  constructor(names: readonly string[]) {
    const joined = new Set<string>();
    for (const name of names) {
      const words = keyWords(name);
      if (words.length > 0) joined.add(words.join(''));
    }
    this.names = joined;
    this.joinedLengthMax = Math.max(0, ...[...joined].map((n) => n.length));
  }

  get empty(): boolean {
    return this.names.size === 0;
  }

  matches(key: string): boolean {
    if (this.names.size === 0) return false;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const result = this.compute(key);
    if (this.cache.size >= CACHE_ENTRIES_MAX) this.cache.clear();
    this.cache.set(key, result);
    return result;
  }

  private compute(key: string): boolean {
    const words = keyWords(key).slice(-KEY_WORDS_MAX);
    let suffix = '';
    for (let i = words.length - 1; i >= 0; i--) {
      suffix = `${words[i] ?? ''}${suffix}`;
      if (suffix.length > this.joinedLengthMax) return false;
      if (this.names.has(suffix)) return true;
    }
    return false;
  }
}

/** The words of a key: split at non-alphanumerics and camelCase, lower case, plural `s` dropped. */
export function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') ? w.slice(0, -1) : w));
}

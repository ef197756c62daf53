/**
 * Generic top-level domains accepted in e-mail addresses (two-letter country
 * codes are accepted without a list). Not the whole IANA root zone: the
 * common ones, plus the private-use names companies use internally. An
 * address under an unlisted TLD is not detected — add it here.
 */
export const GENERIC_TLDS: ReadonlySet<string> = new Set(
  (
    'com net org edu gov mil int info biz name pro aero asia cat coop jobs mobi museum tel travel xxx ' +
    'app dev page blog cloud email mail online site store shop tech website web host space live news ' +
    'media world xyz club top vip work agency digital network solutions services systems company ' +
    'group studio design life today center global team zone social fun art health bank law finance ' +
    'money capital consulting ventures support ninja guru rocks one plus link click expert academy ' +
    'software codes tools works africa berlin london nyc paris tokyo amsterdam swiss bayern wien ' +
    'local localdomain internal corp lan home intranet test example invalid localhost'
  ).split(' '),
);

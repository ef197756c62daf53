/**
 * `${...}` expansion of string values after YAML parsing and merging, with the
 * Collector's (confmap) rules:
 *
 * - `$$` is a literal `$` everywhere in string values (so `$${env:X}` is the
 *   text `${env:X}`); a lone `$` not followed by `{` or `$` stays as is;
 * - a string that is exactly one reference takes the referenced text re-parsed
 *   as YAML, so `${env:PORT}` can become the integer 4318, `${env:LIST}` a list.
 *   Text that parses to a string (or to nothing) stays the raw text. When such a
 *   value is not a string, its text form is remembered in `originals`: a field
 *   that wants a string gets the text, as the Collector does;
 * - a reference inside a longer string is replaced by the referenced text;
 * - references nest (`${env:${env:WHICH}}`, innermost first), and what a
 *   reference yields is expanded again (a variable whose value holds `${...}` is
 *   expanded; `$$` in it becomes `$`), up to REFERENCE_DEPTH_MAX levels;
 * - `${` without a closing `}` is literal text; keys are never expanded.
 *
 * Each string is scanned once, left to right, so an escaped reference never
 * stops later ones in the same string from expanding (the Collector's scanner
 * gives up on the whole string there) and expanded text never combines with the
 * text around it into a new reference.
 */
import type { IssueList } from './issues.ts';
import { pathKey } from './path.ts';
import type { ConfigPath } from './path.ts';
import { isPlainMap, setKey } from './plain.ts';
import type { PlainMap } from './plain.ts';
import { ReferenceFailure, retrieveReference } from './references.ts';
import type { ReferenceContext } from './references.ts';
import { parseExpandedText } from './parseExpandedText.ts';

export const REFERENCE_DEPTH_MAX = 100;
export const EXPANDED_LENGTH_MAX = 1024 * 1024;
export const REFERENCE_COUNT_MAX = 100_000;

export interface ExpandOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly baseDir: string;
  readonly readFile: (path: string) => string;
}

/** A value produced by a whole-scalar reference that is not a string, with its text form. */
export interface ExpandedOriginal {
  readonly original: string;
}

export interface ExpansionResult {
  readonly value: unknown;
  /** Keyed by `pathKey` of the value's path in the expanded tree. */
  readonly originals: ReadonlyMap<string, ExpandedOriginal>;
}

interface Expanded {
  readonly value: unknown;
  readonly original?: string;
}

export function expandConfig(value: unknown, options: ExpandOptions, issues: IssueList): ExpansionResult {
  const expander = new Expander(options, issues);
  const expanded = expander.tree(value, [], 0);
  return { value: expanded, originals: expander.originals };
}

class Expander {
  readonly originals = new Map<string, ExpandedOriginal>();
  private readonly options: ExpandOptions;
  private readonly issues: IssueList;
  private readonly warned = new Set<string>();
  private referenceCount = 0;

  constructor(options: ExpandOptions, issues: IssueList) {
    this.options = options;
    this.issues = issues;
  }

  tree(value: unknown, path: ConfigPath, depth: number): unknown {
    if (typeof value === 'string') return this.scalar(value, path, depth);
    if (Array.isArray(value))
      return value.map((item: unknown, index) => this.tree(item, [...path, index], depth));
    if (isPlainMap(value)) {
      const out: PlainMap = {};
      for (const [key, item] of Object.entries(value))
        setKey(out, key, this.tree(item, [...path, key], depth));
      return out;
    }
    return value;
  }

  private scalar(text: string, path: ConfigPath, depth: number): unknown {
    if (!text.includes('$')) return text;
    try {
      const expanded = this.expandString(text, path, depth, true);
      if (expanded.original !== undefined) this.originals.set(pathKey(path), { original: expanded.original });
      return expanded.value;
    } catch (error) {
      if (!(error instanceof ReferenceFailure)) throw error;
      this.issues.error(path, error.message);
      return text;
    }
  }

  private expandString(text: string, path: ConfigPath, depth: number, allowWhole: boolean): Expanded {
    if (depth > REFERENCE_DEPTH_MAX) {
      throw new ReferenceFailure(
        `too many recursive expansions (more than ${REFERENCE_DEPTH_MAX} levels): is there a reference cycle?`,
      );
    }
    let out = '';
    let index = 0;
    while (index < text.length) {
      const dollar = text.indexOf('$', index);
      if (dollar < 0) {
        out += text.slice(index);
        break;
      }
      out += text.slice(index, dollar);
      const next = text[dollar + 1];
      if (next === '$') {
        out += '$';
        index = dollar + 2;
      } else if (next === '{') {
        const reference = this.parseReference(text, dollar + 2, path, depth);
        if (reference === undefined) {
          out += '${';
          index = dollar + 2;
        } else if (allowWhole && dollar === 0 && reference.end === text.length) {
          return this.whole(reference.body, path, depth);
        } else {
          out += this.embedded(reference.body, path, depth);
          index = reference.end;
        }
      } else {
        out += '$';
        index = dollar + 1;
      }
      if (out.length > EXPANDED_LENGTH_MAX) {
        throw new ReferenceFailure(`the expanded value is longer than ${EXPANDED_LENGTH_MAX} characters`);
      }
    }
    return { value: out };
  }

  /** The body of the reference whose `${` ends just before `start`, nested references expanded. */
  private parseReference(
    text: string,
    start: number,
    path: ConfigPath,
    depth: number,
  ): { end: number; body: string } | undefined {
    let body = '';
    let index = start;
    while (index < text.length) {
      const char = text[index];
      if (char === '}') return { end: index + 1, body };
      if (char === '$' && text[index + 1] === '{') {
        const inner = this.parseReference(text, index + 2, path, depth);
        if (inner === undefined) return undefined;
        body += this.embedded(inner.body, path, depth);
        index = inner.end;
        continue;
      }
      body += char;
      index += 1;
    }
    return undefined;
  }

  private embedded(body: string, path: ConfigPath, depth: number): string {
    const retrieved = this.retrieve(body, path);
    if (retrieved.literal) return retrieved.raw;
    return String(this.expandString(retrieved.raw, path, depth + 1, false).value);
  }

  private whole(body: string, path: ConfigPath, depth: number): Expanded {
    const retrieved = this.retrieve(body, path);
    if (retrieved.literal) return { value: retrieved.raw };
    const parsed = parseExpandedText(retrieved.raw);
    if (parsed === null || typeof parsed === 'string') {
      return this.expandString(retrieved.raw, path, depth + 1, true);
    }
    const value = this.tree(parsed, path, depth + 1);
    let original = retrieved.raw;
    try {
      original = String(this.expandString(retrieved.raw, path, depth + 1, false).value);
    } catch (error) {
      if (!(error instanceof ReferenceFailure)) throw error;
    }
    return { value, original };
  }

  private retrieve(body: string, path: ConfigPath) {
    this.referenceCount += 1;
    if (this.referenceCount > REFERENCE_COUNT_MAX) {
      throw new ReferenceFailure(`more than ${REFERENCE_COUNT_MAX} references in one configuration`);
    }
    const context: ReferenceContext = {
      ...this.options,
      warn: (message) => {
        const key = `${pathKey(path)}\u0000${message}`;
        if (this.warned.has(key)) return;
        this.warned.add(key);
        this.issues.warn(path, message);
      },
    };
    return retrieveReference(body, context);
  }
}

/**
 * Component and pipeline ids: `type` or `type/name`, as in the Collector.
 * The type starts with an ASCII letter and has at most 63 ASCII letters, digits
 * and `_`; the name (everything after the first `/`) is 1 to 1024 characters
 * with no spaces, control characters or symbols. Spaces around either part are
 * trimmed, so `otlp / a` and `otlp/a` are the same id.
 */

export const COMPONENT_TYPE_PATTERN = /^[a-zA-Z][0-9a-zA-Z_]{0,62}$/;
const NAME_PATTERN = /^[^\p{Z}\p{C}\p{S}]+$/u;
const NAME_LENGTH_MAX = 1024;

export interface ComponentId {
  readonly type: string;
  /** Absent for a plain `type` id. */
  readonly name?: string;
}

export type ComponentIdResult = { ok: true; id: ComponentId } | { ok: false; message: string };

export function parseComponentId(text: string): ComponentIdResult {
  const slash = text.indexOf('/');
  const type = (slash < 0 ? text : text.slice(0, slash)).trim();
  if (type === '') return { ok: false, message: `invalid id "${text}": the type must not be empty` };
  if (!COMPONENT_TYPE_PATTERN.test(type)) {
    return {
      ok: false,
      message: `invalid id "${text}": the type "${type}" must start with a letter and have only letters, digits and "_" (at most 63 characters)`,
    };
  }
  if (slash < 0) return { ok: true, id: { type } };
  const name = text.slice(slash + 1).trim();
  if (name === '')
    return { ok: false, message: `invalid id "${text}": the name after "/" must not be empty` };
  if (name.length > NAME_LENGTH_MAX || !NAME_PATTERN.test(name)) {
    return {
      ok: false,
      message: `invalid id "${text}": the name "${name}" must be at most ${NAME_LENGTH_MAX} characters with no spaces, control characters or symbols`,
    };
  }
  return { ok: true, id: { type, name } };
}

export function formatComponentId(id: ComponentId): string {
  return id.name === undefined ? id.type : `${id.type}/${id.name}`;
}

/**
 * gjson paths to the numbers in a JSON document, for the query editor to offer as paths to
 * click. A number (or a numeric string, or a boolean: the backend plots those too) inside
 * objects gets its own path (`results.throughput`). The elements of an array of objects are
 * named once with `#` (`benchmarks.#.mean`, one series per element); an array of plain values
 * is offered whole (`times`, one series per number).
 */
export function numericPaths(json: unknown, max = 50): { paths: string[]; more: number } {
  const found = new Set<string>();
  walk(json, '', found);
  const all = [...found];
  return { paths: all.slice(0, max), more: Math.max(0, all.length - max) };
}

function walk(value: unknown, prefix: string, found: Set<string>): void {
  if (isPlottable(value)) {
    if (prefix) {
      found.add(prefix);
    }
    return;
  }
  if (Array.isArray(value)) {
    if (!prefix) {
      return;
    }
    if (value.some((el) => typeof el === 'object' && el !== null && !Array.isArray(el))) {
      for (const el of value) {
        if (typeof el === 'object' && el !== null && !Array.isArray(el)) {
          walk(el, `${prefix}.#`, found);
        }
      }
    } else if (value.some((el) => isPlottable(el) || Array.isArray(el))) {
      found.add(prefix);
    }
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      walk(child, prefix ? `${prefix}.${escapeKey(key)}` : escapeKey(key), found);
    }
  }
}

const NUMERIC_STRING = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(nan|inf|infinity)\s*$/i;

function isPlottable(value: unknown): boolean {
  return (
    typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && NUMERIC_STRING.test(value))
  );
}

/** A key as one gjson path component: every character but letters, digits, `_`, `-`, `:` escaped (gjson.Escape). */
export function escapeKey(key: string): string {
  let out = '';
  for (const ch of key) {
    const code = ch.charCodeAt(0);
    const safe = /[A-Za-z0-9_\-:]/.test(ch) || code <= 0x20 || code > 0x7e;
    out += safe ? ch : `\\${ch}`;
  }
  return out;
}

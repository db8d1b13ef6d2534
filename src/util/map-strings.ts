/**
 * `value` with `fn` applied to every string in it, however deep (object fields and array items;
 * keys stay). `fn` is told the name of the field that holds the string (undefined in an array).
 * Whatever `fn` leaves as it was is returned as it was, the same object: most events hold nothing
 * to change, and copying each would cost more than looking.
 */
export function mapStrings<T>(value: T, fn: (text: string, field?: string) => string): T {
  return mapValue(value, fn, undefined) as T;
}

function mapValue(value: unknown, fn: (text: string, field?: string) => string, field: string | undefined): unknown {
  if (typeof value === 'string') return fn(value, field);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const mapped = mapValue(item, fn, undefined);
      if (mapped !== item) {
        out ??= value.slice();
        out[i] = mapped;
      }
    });
    return out ?? value;
  }
  if (value !== null && typeof value === 'object') {
    let out: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const mapped = mapValue(item, fn, key);
      if (mapped !== item) {
        out ??= { ...value };
        out[key] = mapped;
      }
    }
    return out ?? value;
  }
  return value;
}

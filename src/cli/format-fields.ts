/** `key=value` fields for one-line plain output: values quoted as JSON strings when they need it. */

const BARE = /^[!#-&(-<>-[\]-~\u00a0-\u2027\u202a-\uffff]+$/;

/** What JSON.stringify leaves raw but a terminal should not see raw. */
function escapeRest(json: string): string {
  return json.replace(/[\u007f-\u009f\u2028\u2029]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value as it appears after `key=`; long text is cut to `max` characters. */
export function fieldValue(value: unknown, max = 200): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') {
    // Objects and lists as compact JSON, which is one line already.
    const json = escapeRest(JSON.stringify(value) ?? String(value));
    return json.length > max ? `${json.slice(0, max)}…` : json;
  }
  const text = value.length > max ? `${value.slice(0, max)}…` : value;
  return BARE.test(text) ? text : escapeRest(JSON.stringify(text));
}

/** Every field with a value, in order, as `key=value` joined by spaces. */
export function formatFields(fields: Record<string, unknown>, max = 200): string {
  return Object.entries(fields)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => `${key}=${fieldValue(value, max)}`)
    .join(' ');
}

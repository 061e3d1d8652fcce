/**
 * Asterisk's wire formats for time: ARI timestamps are `2026-11-27T07:12:03.123+0000` (UTC, milliseconds,
 * offset without a colon), unique ids start with whole Unix seconds.
 */

/** Formats a time as ARI does in events, `creationtime`, ping and info: `YYYY-MM-DDTHH:MM:SS.mmm+0000`. */
export function ariTimestamp(ms: number = Date.now()): string {
  // toISOString always gives `YYYY-MM-DDTHH:MM:SS.mmmZ` for years 0000-9999.
  return new Date(ms).toISOString().slice(0, 23) + '+0000';
}

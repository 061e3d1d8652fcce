/**
 * The `variables` object of originate, create and bridge bodies: each value is a string, or
 * `{"value": "...", "report_events": true}` to have the variable reported on the object's snapshots from then on.
 */

import { AriError } from '../errors.ts';

export interface VariableAssignment {
  readonly name: string;
  readonly value: string;
  readonly reportEvents: boolean;
}

/**
 * Reads `{"variables": {"name": "value" | {"value": "...", "report_events": true}}}` (Asterisk's shapes and
 * wording). Names are trimmed; empty names are skipped.
 */
export function readVariables(vars: unknown): VariableAssignment[] {
  if (vars === undefined) return [];
  if (vars === null || typeof vars !== 'object' || Array.isArray(vars)) throw new AriError(400, "The 'variables' field must be a JSON object");
  const out: VariableAssignment[] = [];
  for (const [key, v] of Object.entries(vars as Record<string, unknown>)) {
    const name = key.trim();
    if (!name) continue;
    if (typeof v === 'string') {
      out.push({ name, value: v, reportEvents: false });
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new AriError(400, "Each value in 'variables' must be a string or an object with 'value' and optional 'report_events'");
    }
    const entry = v as Record<string, unknown>;
    if (typeof entry.value !== 'string') throw new AriError(400, "Each object value in 'variables' must include string field 'value'");
    const report = entry.report_events;
    if (report !== undefined && typeof report !== 'boolean') throw new AriError(400, "Field 'report_events' in 'variables' entries must be boolean");
    out.push({ name, value: entry.value, reportEvents: report === true });
  }
  return out;
}

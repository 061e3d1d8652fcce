/**
 * One table from domain error codes to ARI's HTTP statuses, and the error a resource handler throws when
 * it wants a specific status and message (`{"message": …}` on the wire).
 */

import { AriadneError, type ErrorCode } from '../shared/errors.ts';

export const statusForCode: Readonly<Record<ErrorCode, number>> = {
  ERR_NOT_FOUND: 404,
  ERR_CHANNEL_NOT_FOUND: 404,
  ERR_BRIDGE_NOT_FOUND: 404,
  ERR_APPLICATION_NOT_FOUND: 404,
  ERR_INVALID_PARAMETER: 400,
  ERR_MISSING_PARAMETER: 400,
  ERR_INVALID_STATE: 409,
  ERR_CONFLICT: 409,
  ERR_UNPROCESSABLE: 422,
  ERR_FORBIDDEN: 403,
  ERR_NOT_IMPLEMENTED: 501,
  ERR_CONFIG: 500,
};

/** An ARI answer other than success, thrown from a handler. */
export class AriError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'AriError';
    this.status = status;
  }
}

/** Status and message for anything a handler threw; unknown errors are 500s and are reported by the caller. */
export function toAriError(err: unknown): { status: number; message: string; internal: boolean } {
  if (err instanceof AriError) return { status: err.status, message: err.message, internal: false };
  if (err instanceof AriadneError) return { status: statusForCode[err.code], message: err.message, internal: false };
  return { status: 500, message: 'Internal server error', internal: true };
}

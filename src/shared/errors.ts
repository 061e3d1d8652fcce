/**
 * The error catalogue: every domain error Ariadne raises carries a stable code from this table.
 * Core and stasis throw `AriadneError`s; `src/ari/errors.ts` maps codes to HTTP statuses in one place.
 * Codes are never reused for a different meaning.
 */

export const errorCodes = {
  ERR_NOT_FOUND: 'ERR_NOT_FOUND',
  ERR_CHANNEL_NOT_FOUND: 'ERR_CHANNEL_NOT_FOUND',
  ERR_BRIDGE_NOT_FOUND: 'ERR_BRIDGE_NOT_FOUND',
  ERR_APPLICATION_NOT_FOUND: 'ERR_APPLICATION_NOT_FOUND',
  ERR_INVALID_PARAMETER: 'ERR_INVALID_PARAMETER',
  ERR_MISSING_PARAMETER: 'ERR_MISSING_PARAMETER',
  ERR_INVALID_STATE: 'ERR_INVALID_STATE',
  ERR_CONFLICT: 'ERR_CONFLICT',
  ERR_UNPROCESSABLE: 'ERR_UNPROCESSABLE',
  ERR_FORBIDDEN: 'ERR_FORBIDDEN',
  ERR_NOT_IMPLEMENTED: 'ERR_NOT_IMPLEMENTED',
  ERR_CONFIG: 'ERR_CONFIG',
} as const;

export type ErrorCode = (typeof errorCodes)[keyof typeof errorCodes];

export class AriadneError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AriadneError';
    this.code = code;
  }
}

/** A parse failure in a pure parser; `offset` or `line` locate it. */
export class ParseError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.name = 'ParseError';
    this.offset = offset;
  }
}

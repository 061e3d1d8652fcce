/**
 * The shape of one ARI operation as the generator (scripts/gen-ari.ts) emits it into
 * `src/ari/generated/operations.ts` from our api-docs in `src/ari/spec/`. The router, the request
 * validator and the coverage document all read this table; nothing else describes the API.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';
export type ParamType = 'path' | 'query' | 'body';
/** Swagger 1.2 data types used by ARI parameters. `containers` is a JSON object of string values. */
export type DataType = 'string' | 'int' | 'long' | 'boolean' | 'object' | 'containers';

export type AllowableValues =
  | { readonly valueType: 'LIST'; readonly values: readonly string[] }
  | { readonly valueType: 'RANGE'; readonly min?: number; readonly max?: number };

export interface ParamSpec {
  readonly name: string;
  readonly paramType: ParamType;
  readonly dataType: DataType;
  readonly required: boolean;
  readonly allowMultiple: boolean;
  readonly allowableValues?: AllowableValues;
  readonly defaultValue?: string | number | boolean;
}

export interface OperationSpec {
  /** Resource file name without `.json`: `asterisk`, `channels`, … `applications`. */
  readonly resource: string;
  /** Swagger path relative to `/ari`, e.g. `/channels/{channelId}/play`. */
  readonly path: string;
  readonly method: HttpMethod;
  /** Operation name, e.g. `originate`; unique within its resource. */
  readonly nickname: string;
  readonly responseClass: string;
  readonly params: readonly ParamSpec[];
  /** Status codes the spec declares besides success. */
  readonly errorCodes: readonly number[];
  /** `websocket` for the events socket. */
  readonly upgrade?: 'websocket';
}

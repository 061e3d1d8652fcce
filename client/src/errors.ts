/**
 * Errors the SDK rejects with. Every REST failure is one of three kinds, told apart with `instanceof`:
 * the server answered with an error status (`AriError`), the server does not have the operation
 * (`UnsupportedOperation`, from the api-docs read at connect), or no answer came at all (`AriConnectionError`).
 */

/**
 * The server answered a call with a 4xx or 5xx status. `message` is the server's own `{"message": …}` text when
 * it sent one (Asterisk and Ariadne both do), else the HTTP reason phrase.
 *
 * @example
 * try {
 *   await ari.channels.get({ channelId: 'nope' });
 * } catch (err) {
 *   if (err instanceof AriError && err.status === 404) console.log(err.message); // "Channel not found"
 * }
 */
export class AriError extends Error {
  override name = 'AriError';
  /** HTTP status code of the answer. */
  readonly status: number;
  /** The operation called, as `resource.nickname` (e.g. `channels.get`). */
  readonly operation: string;
  /** Method and path the call was sent to, e.g. `GET /channels/nope`. */
  readonly request: string;
  /** The parsed error body, if the server sent JSON. */
  readonly body: unknown;

  constructor(status: number, message: string, operation: string, request: string, body?: unknown) {
    super(message);
    this.status = status;
    this.operation = operation;
    this.request = request;
    this.body = body;
  }
}

/**
 * The server's api-docs, read at connect, do not list this operation (an older Asterisk, for example
 * `channels.externalMedia` on Asterisk 16). Nothing was sent.
 *
 * @example
 * if (!ari.supports('channels', 'externalMedia')) console.log('this server cannot stream media out');
 */
export class UnsupportedOperation extends Error {
  override name = 'UnsupportedOperation';
  /** The operation called, as `resource.nickname`. */
  readonly operation: string;

  constructor(operation: string, serverVersion: string | undefined) {
    super(`${operation} is not available on this server${serverVersion ? ` (${serverVersion})` : ''}`);
    this.operation = operation;
  }
}

/**
 * No answer: the server could not be reached, the WebSocket carrying a call closed before its answer came, or
 * a wait timed out. A call that fails this way may or may not have run on the server.
 *
 * @example
 * ari.channels.list().catch((err) => { if (err instanceof AriConnectionError) retryLater(); });
 */
export class AriConnectionError extends Error {
  override name = 'AriConnectionError';
  /** The operation called, as `resource.nickname`, when the error is about one call. */
  readonly operation: string | undefined;

  constructor(message: string, operation?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.operation = operation;
  }
}

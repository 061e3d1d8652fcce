/**
 * What the external media service asks of a transport (RTP, AudioSocket, WebSocket): start moving media for
 * a channel's session, pass DTMF out, and close when the channel goes. What the transport sees of the peer comes
 * back through `LinkEvents`.
 */

export interface LinkEvents {
  /** The peer is gone (closed, said hangup, broke the protocol): the channel hangs up. */
  gone(reason: string): void;
  /** The peer sent a DTMF digit (ChannelDtmfReceived). */
  dtmf(digit: string, durationMs: number): void;
}

export interface ExternalLink {
  /**
   * Starts media on the channel's session (already attached); resolves with the channel variables the
   * technology sets (`UNICASTRTP_LOCAL_PORT`...).
   */
  start(channelId: string, events: LinkEvents): Promise<Readonly<Record<string, string>>>;
  /** Sends a DTMF digit to the peer. */
  sendDigit(digit: string, durationMs: number): void;
  /** Tells the peer the call ended (where the protocol can) and closes the transport; runs once. */
  close(cause: number): void;
}

/** The transport could not reach the peer (refused, timed out, handshake failed). */
export class ExternalConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExternalConnectError';
  }
}

/**
 * Identifiers in Asterisk's formats: unique ids `<unix seconds>.<process-wide counter>` and the 8-hex-digit
 * sequence that channel names carry (`Local/1000@from-trunk-0000001b;1`).
 */

export class IdSource {
  #seq = 0;
  #nameSeq = 0;
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** A new unique id, `1795764487.21`. */
  uniqueId(): string {
    return `${Math.floor(this.#now() / 1000)}.${this.#seq++}`;
  }

  /** The next channel-name suffix, `0000001b`. */
  nameSuffix(): string {
    const n = this.#nameSeq++ & 0xffffffff;
    return n.toString(16).padStart(8, '0');
  }
}

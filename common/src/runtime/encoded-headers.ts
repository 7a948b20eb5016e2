import type { MsgHdrs } from '@nats-io/nats-core';

const encoder = new TextEncoder();
/** Printable ASCII without `:` in names; values may hold `:` (a dedup id does). */
const HEADER_NAME = /^[!-9;-~]+$/;
const HEADER_VALUE = /^[ -~]*$/;

/**
 * NATS headers written once, straight in their wire form (`NATS/1.0\r\nName: value\r\n…\r\n`),
 * for the message path: `headers()` + `set()` + `encode()` cost a map, a validation per value
 * and a string build per publish, about 5 % of the gateway's CPU per message. nats-core's
 * `publish` uses nothing of the headers it is given but `encode()` (`protocol.js`), which is
 * what this implements; a test against a real nats-server reads them back.
 */
export class EncodedHeaders {
  private constructor(private readonly bytes: Uint8Array) {}

  /**
   * The headers of `pairs` in order, or undefined if a name or value can't be written as is
   * (not printable ASCII): the caller then uses nats-core's own `headers()`.
   */
  static of(pairs: ReadonlyArray<readonly [string, string]>): EncodedHeaders | undefined {
    let text = 'NATS/1.0\r\n';
    for (const [name, value] of pairs) {
      if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) return undefined;
      text += `${name}: ${value}\r\n`;
    }
    return new EncodedHeaders(encoder.encode(`${text}\r\n`));
  }

  encode(): Uint8Array {
    return this.bytes;
  }

  /** For `publish(…, { headers })`, whose type asks for the whole `MsgHdrs` though it reads only `encode()`. */
  asMsgHdrs(): MsgHdrs {
    return this as unknown as MsgHdrs;
  }
}

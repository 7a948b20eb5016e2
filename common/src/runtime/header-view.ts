import type { Msg } from '@nats-io/nats-core';

/** What `MsgImpl` of @nats-io/nats-core 3.x holds: the payload with headers first, and their length. */
interface MsgInternals {
  readonly _rdata?: unknown;
  readonly _msg?: { readonly hdr?: unknown };
}

/**
 * Header lookups on a received message without nats-core's `msg.headers`, which decodes every
 * header into a map of arrays (a `TextDecoder`, a split and a map per message: about 8 % of
 * the gateway's CPU on the live path, which reads three headers of each republished event).
 * Here the header block is read as Latin-1 text once and searched for the names asked for, with
 * nats-core's semantics (exact name, value trimmed, first of repeated values). If the message is
 * not what this version of nats-core makes, it falls back to `msg.headers`; `fast` says which
 * (a test pins it, so an upgrade that changes the internals is noticed).
 */
export class HeaderView {
  private constructor(
    private readonly msg: Msg,
    private readonly text: string | undefined,
    readonly fast: boolean,
  ) {}

  static of(msg: Msg): HeaderView {
    const internals = msg as unknown as MsgInternals;
    const data = internals._rdata;
    const length = internals._msg?.hdr;
    if (!(data instanceof Uint8Array) || typeof length !== 'number' || length > data.byteLength)
      return new HeaderView(msg, undefined, false);
    if (length < 0) return new HeaderView(msg, '', true);
    return new HeaderView(msg, Buffer.from(data.buffer, data.byteOffset, length).toString('latin1'), true);
  }

  get(name: string): string | undefined {
    if (this.text === undefined) return this.msg.headers?.get(name) || undefined;
    const key = `\r\n${name}:`;
    const at = this.text.indexOf(key);
    if (at < 0) return undefined;
    const start = at + key.length;
    const end = this.text.indexOf('\r\n', start);
    return this.text.slice(start, end < 0 ? undefined : end).trim() || undefined;
  }
}

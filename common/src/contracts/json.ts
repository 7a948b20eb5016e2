const decoder = new TextDecoder();

/**
 * A NATS payload parsed as JSON, or undefined when it is not JSON. Every bus message is
 * untrusted until its schema says otherwise: callers validate what this returns.
 */
export function decodeJson(data: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(data));
  } catch {
    return undefined;
  }
}

/**
 * The end of an exhaustive `switch` over a union's `type`: a member added to the union and not
 * handled makes the call site fail to compile (the value is then not `never`).
 */
export function unhandled(value: never, what: string): never {
  throw new Error(`unhandled ${what}: ${JSON.stringify((value as { type?: unknown } | null)?.type ?? value)?.slice(0, 64)}`);
}

import WebSocket from 'ws';

type Frame = { type: string; [key: string]: unknown };

/**
 * A WebSocket client for tests that keeps every frame it receives, so a test can await the
 * next frame matching a predicate without racing the network.
 */
export class TestSocket {
  readonly frames: Frame[] = [];
  private readonly waiters: Array<{ predicate: (f: Frame) => boolean; resolve: (f: Frame) => void; from: number }> = [];
  closeCode: number | undefined;
  private readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      this.frames.push(frame);
      for (const w of [...this.waiters]) {
        if (w.predicate(frame)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve((this.closeCode = code))));
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
    const ws = new WebSocket(url, options);
    const socket = new TestSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return socket;
  }

  /** The HTTP status a refused upgrade answered with. */
  static async refusal(url: string, options: WebSocket.ClientOptions = {}): Promise<number> {
    const ws = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.close();
        reject(new Error('upgrade was accepted'));
      });
      ws.once('unexpected-response', (req, res) => {
        resolve(res.statusCode ?? 0);
        // The refused connection is not kept alive: nothing is left open behind the test.
        req.destroy();
      });
      ws.once('error', () => undefined);
    });
  }

  /**
   * The close code of a socket the gateway accepted and then closed before `ready` (an unknown
   * user, a database outage); fails if `ready` or any other frame comes first.
   */
  static async closedBeforeReady(url: string, timeoutMs = 10000): Promise<number> {
    const socket = await TestSocket.open(url);
    const timer = setTimeout(() => socket.ws.terminate(), timeoutMs);
    const code = await socket.waitClosed();
    clearTimeout(timer);
    if (socket.frames.length) throw new Error(`frames came before the close: ${JSON.stringify(socket.frames.slice(0, 3))}`);
    return code;
  }

  send(frame: object | string): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (already received or still to come) matching `predicate`. */
  next(predicate: (f: Frame) => boolean, timeoutMs = 10000): Promise<Frame> {
    const seen = this.frames.find(predicate);
    if (seen) return Promise.resolve(seen);
    return this.waitNew(predicate, timeoutMs);
  }

  /** The first frame from now on matching `predicate`. */
  waitNew(predicate: (f: Frame) => boolean, timeoutMs = 10000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve: (f: Frame) => (clearTimeout(timer), resolve(f)), from: this.frames.length };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got: ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  ofType(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  async close(): Promise<number> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
    return this.closed;
  }

  waitClosed(): Promise<number> {
    return this.closed;
  }
}

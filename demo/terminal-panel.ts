/**
 * The demo's terminal: a page of its own (recorded like the browsers) showing the step's
 * caption on top and, below, the real output of `make dev`'s processes and of the commands the
 * demo runs. Built with setContent: it is no page of the app, so no CSP of ours applies.
 */
import type { Page } from 'playwright-core';

const PANEL_HTML = `<!doctype html><html><head><meta charset="utf-8"><style>
  html, body { margin: 0; height: 100%; background: #0b0d16; color: #d7dbf5; font: 13px/1.35 ui-monospace, 'DejaVu Sans Mono', monospace; }
  #caption { padding: 8px 14px; font: 600 17px/1.3 system-ui, sans-serif; color: #0b0d16; background: linear-gradient(90deg, #39f5c8, #b16cff); }
  #lines { padding: 6px 14px; white-space: pre-wrap; word-break: break-all; overflow: hidden; height: calc(100% - 50px); display: flex; flex-direction: column; justify-content: flex-end; }
  .cmd { color: #39f5c8; } .note { color: #ffc857; } .out { color: #d7dbf5; } .log { color: #8c92b5; }
</style></head><body><div id="caption">NeonChat demo</div><div id="lines"></div></body></html>`;

/** ESC [ … m: the colours dev.sh and the services' pretty logs use. */
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/** How many lines the panel keeps (older ones scroll away). */
const KEEP = 60;

export type LineKind = 'cmd' | 'note' | 'out' | 'log';

export class TerminalPanel {
  private constructor(private readonly page: Page) {}

  static async open(page: Page): Promise<TerminalPanel> {
    await page.setContent(PANEL_HTML);
    return new TerminalPanel(page);
  }

  async caption(text: string): Promise<void> {
    await this.page.evaluate(`document.getElementById('caption').textContent = ${JSON.stringify(text)}`);
  }

  /** Appends lines (ANSI colours stripped); long outputs are cut to their first `max` lines. */
  async print(text: string, kind: LineKind = 'out', max = 12): Promise<void> {
    const lines = text
      .replace(ANSI_COLOUR, '')
      .split('\n')
      .filter((l) => l.length > 0);
    const shown = lines.length > max ? [...lines.slice(0, max), `… (${lines.length - max} more lines)`] : lines;
    await this.page.evaluate(`(() => {
      const box = document.getElementById('lines');
      for (const line of ${JSON.stringify(shown)}) {
        const div = document.createElement('div');
        div.className = ${JSON.stringify(kind)};
        div.textContent = line;
        box.appendChild(div);
      }
      while (box.children.length > ${KEEP}) box.firstChild.remove();
    })()`);
  }
}

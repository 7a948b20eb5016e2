import type { ScrollIntent } from '../views/message-list-view.js';

/** The parts of the signed-in screen that state changes redraw. */
export interface Screen {
  list(): void;
  header(): void;
  messages(scroll?: ScrollIntent): void;
  pane(): void;
}

import { ACCOUNT_DELETED_NOTICE } from '../auth/session-notices.js';
import { AccountApi } from '../net/account-api.js';
import type { RestClient } from '../net/rest-client.js';
import type { MessengerState } from '../state/messenger-state.js';
import { showAccountDialog } from '../views/account-dialog.js';

export interface AccountControllerDeps {
  rest: RestClient;
  state: MessengerState;
  dialog: HTMLDialogElement;
  /** Draw the open chat again (its menu and the notice above its composer follow blocks). */
  redrawChat(): void;
  /** Leave for the login screen, saying why. */
  leave(notice: string): void;
}

/** The messenger's account actions (issue 27): the account dialog, blocking, deleting the account. */
export class AccountController {
  readonly api: AccountApi;
  /** This tab is deleting its account: the socket's 4004 that follows is expected, not "ended elsewhere". */
  private deleting = false;

  constructor(private readonly d: AccountControllerDeps) {
    this.api = new AccountApi(d.rest);
  }

  get isDeleting(): boolean {
    return this.deleting;
  }

  /** Whom I blocked, for the chat menus; without it they offer "Block" until the account dialog is opened. */
  async loadBlocks(): Promise<void> {
    try {
      this.d.state.blocks.setBlocked((await this.api.blocks()).users);
      this.d.redrawChat();
    } catch {
      // Offline or an older server: the menus start from "not blocked".
    }
  }

  async setBlocked(user: { id: string; username: string }, blocked: boolean): Promise<void> {
    await (blocked ? this.api.block(user.id) : this.api.unblock(user.id));
    this.d.state.blocks.blocked(user.id, user.username, blocked);
    this.d.redrawChat();
  }

  show(): void {
    showAccountDialog({
      dialog: this.d.dialog,
      api: this.api,
      username: this.d.state.me.username,
      setBlocked: (user, blocked) => this.setBlocked(user, blocked),
      deleteAccount: (password) => this.deleteAccount(password),
    });
  }

  private async deleteAccount(password: string): Promise<void> {
    this.deleting = true;
    try {
      await this.api.deleteAccount(password);
    } catch (err) {
      this.deleting = false;
      throw err;
    }
    this.d.dialog.close();
    this.d.leave(ACCOUNT_DELETED_NOTICE);
  }
}

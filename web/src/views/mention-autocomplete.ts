import { h, replaceChildren } from '../dom.js';
import { insertMention, matchingMembers, mentionQueryAt, type Member, type MentionQuery } from '../state/mention-token.js';

let nextListId = 0;

/**
 * `@` in the message box offers the chat's members: a listbox the box controls
 * (`aria-controls`, `aria-autocomplete`, the option under the arrows as `aria-activedescendant`;
 * a textarea cannot be a combobox, so no `aria-expanded`), ArrowUp/ArrowDown to move, Enter or Tab to insert
 * `@username `, Escape to close; a click inserts too. Its keys are taken in the capture phase
 * on the form, before the composer's own Enter (send) and Escape (cancel) handlers.
 */
export function attachMentionAutocomplete(
  form: HTMLFormElement,
  input: HTMLTextAreaElement,
  members: () => readonly Member[],
  meId: string,
): void {
  const listId = `mention-list-${++nextListId}`;
  const list = h('ul', { class: 'mention-list', attrs: { id: listId, role: 'listbox', 'aria-label': 'Members to mention', hidden: true } });
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-controls', listId);
  form.insertBefore(list, form.firstChild);
  let query: MentionQuery | null = null;
  let options: Member[] = [];
  let active = 0;

  const close = () => {
    query = null;
    options = [];
    list.hidden = true;
    input.removeAttribute('aria-activedescendant');
  };
  const draw = () => {
    replaceChildren(
      list,
      ...options.map((m, i) =>
        h(
          'li',
          {
            class: `mention-option${i === active ? ' active' : ''}`,
            attrs: { id: `${listId}-${i}`, role: 'option', 'aria-selected': String(i === active), 'data-user': m.username },
            on: {
              // Keeps the focus (and the caret) in the box.
              mousedown: (e) => e.preventDefault(),
              click: () => choose(i),
            },
          },
          `@${m.username}`,
        ),
      ),
    );
    list.hidden = false;
    input.setAttribute('aria-activedescendant', `${listId}-${active}`);
  };
  const update = () => {
    const q = mentionQueryAt(input.value, input.selectionStart ?? input.value.length);
    const found = q ? matchingMembers(members(), q.query, meId) : [];
    if (!q || !found.length) return close();
    if (q.start !== query?.start) active = 0;
    query = q;
    options = found;
    active = Math.min(active, options.length - 1);
    draw();
  };
  const choose = (i: number) => {
    const m = options[i];
    if (!query || !m) return;
    const next = insertMention(input.value, query, m.username);
    input.value = next.text;
    input.setSelectionRange(next.caret, next.caret);
    close();
    input.focus();
  };

  input.addEventListener('input', update);
  input.addEventListener('click', update);
  input.addEventListener('keyup', (e) => ['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key) && update());
  input.addEventListener('blur', close);
  form.addEventListener(
    'keydown',
    (e) => {
      if (e.target !== input || list.hidden || !options.length) return;
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        active = (active + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length;
        draw();
      } else if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') choose(active);
      else if (e.key === 'Escape') close();
      else return;
      e.preventDefault();
      e.stopPropagation();
    },
    true,
  );
}

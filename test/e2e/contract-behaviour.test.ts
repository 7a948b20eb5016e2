import { expect } from 'chai';
import { PersisterEnv } from '@neonchat/common';
import { TestSocket, testServiceConfig, waitFor } from '@neonchat/common/testing';
import { createPersister, type Persister } from '@neonchat/persister';
import { http, registerAndLogin, startSystem, type RunningSystem } from '../support/system.js';

interface Msg {
  id: string;
  seq: number;
  text: string;
}
type Page = { messages: Msg[]; has_previous: boolean; has_next: boolean };

/** Small enough that a short absence is "too far", so the documented recovery is needed. */
const RESUME_MAX = 5;

describe('contract behaviour, end to end @integration', () => {
  let system: RunningSystem;
  let laterPersister: Persister | undefined;

  before(async () => {
    system = await startSystem({ GATEWAY_RESUME_MAX_EVENTS: RESUME_MAX });
  });
  after(async () => {
    await laterPersister?.close();
    await system?.stop();
  });

  async function send(ws: TestSocket, chatId: string, text: string, requestId: string): Promise<Msg> {
    ws.send({ type: 'message', chat_id: chatId, text, request_id: requestId });
    const answer = await ws.next((f) => (f.type === 'message_sent' || f.type === 'error') && f.request_id === requestId);
    if (answer.type === 'error') throw new Error(`${requestId}: ${String(answer.code)}`);
    return answer.message as Msg;
  }

  it('unban readmits: the unbanned user posts at once, on a socket opened before or after the unban', async () => {
    const owner = await registerAndLogin(system.apiUrl);
    const member = await registerAndLogin(system.apiUrl);
    const group = await http<{ id: string }>(
      'POST',
      `${system.apiUrl}/chats`,
      { type: 'group', name: 'g', member_ids: [member.id] },
      owner.token,
    );
    const chatId = group.body.id;
    const ban = await http('PUT', `${system.apiUrl}/chats/${chatId}/bans/${member.id}`, undefined, owner.token);
    expect(ban.body).to.include({ status: 'banned' });

    const ownerWs = await TestSocket.open(`${system.wsUrl}?token=${owner.token}`);
    await ownerWs.next((f) => f.type === 'ready');
    const early = await TestSocket.open(`${system.wsUrl}?token=${member.token}`);
    expect((await early.next((f) => f.type === 'ready')).chat_ids).not.to.include(chatId);
    early.send({ type: 'message', chat_id: chatId, text: 'banned', request_id: 'b-0' });
    expect((await early.next((f) => f.type === 'error' && f.request_id === 'b-0')).code).to.be.oneOf(['forbidden', 'not_found']);

    const unban = await http('DELETE', `${system.apiUrl}/chats/${chatId}/bans/${member.id}`, undefined, owner.token);
    expect(unban.status).to.equal(200);
    expect(unban.body).to.include({ status: 'active', role: 'member' });

    // The open socket is readmitted by the membership announcement: a post goes through once it lands.
    let attempt = 0;
    const posted = await waitFor(() => send(early, chatId, 'back in', `b-${++attempt}`), { what: 'post after unban', intervalMs: 100 });
    const delivered = await ownerWs.next((f) => f.type === 'new_message' && (f.message as Msg).id === posted.id);
    expect((delivered.message as Msg).text).to.equal('back in');

    const late = await TestSocket.open(`${system.wsUrl}?token=${member.token}`);
    expect((await late.next((f) => f.type === 'ready')).chat_ids).to.include(chatId);
    const second = await send(late, chatId, 'from a new socket', 'late-1');
    await ownerWs.next((f) => f.type === 'new_message' && (f.message as Msg).id === second.id);
    await Promise.all([ownerWs.close(), early.close(), late.close()]);
  });

  it('after resume_too_far, open then paging older over REST loses nothing while the persister lags', async () => {
    const alice = await registerAndLogin(system.apiUrl);
    const bob = await registerAndLogin(system.apiUrl);
    const chat = await http<{ id: string }>('POST', `${system.apiUrl}/chats`, { partner_id: bob.id }, alice.token);
    const chatId = chat.body.id;
    const aliceWs = await TestSocket.open(`${system.wsUrl}?token=${alice.token}`);
    await aliceWs.next((f) => f.type === 'ready');
    const sent: Msg[] = [];
    for (let i = 0; i < 3; i++) sent.push(await send(aliceWs, chatId, `before ${i}`, `pre-${i}`));
    const lastSeen = sent.at(-1)!.seq;
    await waitFor(
      async () => (await http<Page>('GET', `${system.apiUrl}/chats/${chatId}/messages`, undefined, bob.token)).body.messages.length === 3,
      { what: 'first messages persisted' },
    );

    // Bob is away; the persister stops writing (lagging) while Alice sends far more than a resume replays.
    await system.persister.close();
    for (let i = 0; i < 30; i++) sent.push(await send(aliceWs, chatId, `while away ${i}`, `away-${i}`));

    const bobWs = await TestSocket.open(`${system.wsUrl}?token=${bob.token}`);
    await bobWs.next((f) => f.type === 'ready');
    bobWs.send({ type: 'resume', chat_id: chatId, after_seq: lastSeen, request_id: 'resume-1' });
    const refused = await bobWs.next((f) => f.type === 'error' && f.request_id === 'resume-1');
    expect(refused.code).to.equal('resume_too_far');
    expect(refused.message).to.match(/open/);

    // REST alone now would miss what is only in the stream: the reason the documented recovery starts with `open`.
    const restOnly = await http<Page>('GET', `${system.apiUrl}/chats/${chatId}/messages?limit=200`, undefined, bob.token);
    expect(restOnly.body.messages.length).to.be.lessThan(sent.length);

    bobWs.send({ type: 'open', chat_id: chatId, request_id: 'open-1' });
    const history = await bobWs.next((f) => f.type === 'history' && f.request_id === 'open-1');
    const held = [...(history.messages as Msg[])];
    expect(held.length).to.be.greaterThan(0);
    expect(held.at(-1)!.id).to.equal(sent.at(-1)!.id);
    expect(history.has_previous).to.equal(true);

    // The persister catches up while Bob pages older; a cursor not yet persisted is a 404: retry.
    laterPersister = await createPersister(testServiceConfig(PersisterEnv));
    await laterPersister.start();
    let hasPrevious = true;
    while (hasPrevious) {
      const oldest = held[0]!.id;
      const page = await waitFor(
        async () => {
          const res = await http<Page>(
            'GET',
            `${system.apiUrl}/chats/${chatId}/messages?limit=7&before_id=${oldest}`,
            undefined,
            bob.token,
          );
          return res.status === 200 ? res.body : undefined;
        },
        { what: `page before ${oldest}`, intervalMs: 100 },
      );
      held.unshift(...page.messages);
      hasPrevious = page.has_previous;
    }
    expect(held.map((m) => m.id)).to.deep.equal(sent.map((m) => m.id));
    await Promise.all([aliceWs.close(), bobWs.close()]);
  });
});

import { connect } from '@nats-io/transport-node';
import { SUBJECTS, type PresenceQuery, type PresenceQueryReply } from '@neonchat/common';

/**
 * A stand-in for the presence service's query responder, on a NATS server of the test's own
 * (so no real presence service of another suite answers first): users in `online` are online.
 */
export async function startPresenceStandIn(
  natsUrl: string,
  online: ReadonlySet<string>,
): Promise<{ queries: number; stop(): Promise<void> }> {
  const nc = await connect({ servers: natsUrl });
  const state = {
    queries: 0,
    async stop() {
      await nc.drain();
    },
  };
  nc.subscribe(SUBJECTS.presenceQuery, {
    callback: (_err, msg) => {
      state.queries += 1;
      const query = msg.json<PresenceQuery>();
      const reply: PresenceQueryReply = {
        statuses: query.user_ids.map((user_id) =>
          online.has(user_id) ? { user_id, status: 'online', last_seen: Date.now() } : { user_id, status: 'offline', last_seen: null },
        ),
      };
      msg.respond(JSON.stringify(reply));
    },
  });
  await nc.flush();
  return state;
}

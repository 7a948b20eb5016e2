import { expect } from 'chai';
import Type from 'typebox';
import { loadConfigOrExit, messageFromCreatedEvent, messageFromRow, toIsoTimestamp, uuidv7 } from '@neonchat/common';

describe('message mapping', () => {
  const id = uuidv7();
  const chatId = uuidv7();
  const senderId = uuidv7();

  it('maps a messages row with string timestamps (MikroORM raw queries) or Dates (pg)', () => {
    const fromStrings = messageFromRow({
      id,
      chat_id: chatId,
      sender_id: senderId,
      text: 'hi',
      seq: '42',
      created_at: '2026-11-22 02:28:06.565+00',
      updated_at: null,
    });
    expect(fromStrings).to.deep.equal({
      id,
      chat_id: chatId,
      sender_id: senderId,
      text: 'hi',
      seq: 42,
      created_at: '2026-11-22T02:28:06.565Z',
      updated_at: null,
    });
    const edited = new Date('2026-11-22T03:00:00.000Z');
    expect(messageFromRow({ ...fromStrings, created_at: new Date(fromStrings.created_at), updated_at: edited })).to.deep.equal({
      ...fromStrings,
      updated_at: '2026-11-22T03:00:00.000Z',
    });
    expect(toIsoTimestamp('2026-11-22 08:00:00+05:30')).to.equal('2026-11-22T02:30:00.000Z');
  });

  it('maps a message.created event at its stream position', () => {
    const created_at = new Date().toISOString();
    const event = { type: 'message.created' as const, id, chat_id: chatId, sender_id: senderId, text: 'x', created_at };
    expect(messageFromCreatedEvent(event, 7)).to.deep.equal({
      id,
      chat_id: chatId,
      sender_id: senderId,
      text: 'x',
      seq: 7,
      created_at,
      updated_at: null,
    });
  });
});

describe('loadConfigOrExit', () => {
  const schema = Type.Object({ NEONCHAT_TEST_ONLY_PORT: Type.Integer({ default: 1 }) });

  function withStubbedExit(run: () => void): { code: number | undefined; stderr: string[] } {
    const realExit = process.exit;
    const realError = console.error;
    const seen: { code: number | undefined; stderr: string[] } = { code: undefined, stderr: [] };
    process.exit = ((code?: number) => {
      seen.code = code;
      throw new Error('exit');
    }) as typeof process.exit;
    console.error = (...args: unknown[]) => void seen.stderr.push(args.join(' '));
    try {
      run();
    } catch (err) {
      if (!(err instanceof Error && err.message === 'exit')) throw err;
    } finally {
      process.exit = realExit;
      console.error = realError;
    }
    return seen;
  }

  it('returns the config when it is valid', () => {
    expect(loadConfigOrExit('svc', schema).NEONCHAT_TEST_ONLY_PORT).to.equal(1);
  });

  it('exits with status 2 naming the service and the variable', () => {
    process.env.NEONCHAT_TEST_ONLY_PORT = 'nope';
    try {
      const seen = withStubbedExit(() => loadConfigOrExit('svc', schema));
      expect(seen.code).to.equal(2);
      expect(seen.stderr.join('\n')).to.match(/^svc: invalid configuration: NEONCHAT_TEST_ONLY_PORT/);
    } finally {
      delete process.env.NEONCHAT_TEST_ONLY_PORT;
    }
  });
});

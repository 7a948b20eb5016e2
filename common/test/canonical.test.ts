import { expect } from 'chai';
import Type from 'typebox';
import {
  NeonError,
  Uuid,
  canonicalId,
  canonicalize,
  compileValidator,
  isOutageError,
  scrubSecretText,
  sendDedupId,
  unstorableReason,
  verifyAccessToken,
} from '@neonchat/common';
import jwt from 'jsonwebtoken';

const ID = '0189abcd-0000-7000-8000-00000000000a';

function refusal(fn: () => unknown): NeonError {
  try {
    fn();
  } catch (err) {
    if (err instanceof NeonError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('canonical input', () => {
  it('accepts a plain uuid in either case and gives it in lower case; refuses every other spelling', () => {
    expect(canonicalId(ID.toUpperCase())).to.equal(ID);
    expect(canonicalId(ID)).to.equal(ID);
    for (const bad of [`urn:uuid:${ID}`, `{${ID}}`, ID.replaceAll('-', ''), ` ${ID}`, `${ID}\n`, 'x'.repeat(36), 42, null, [ID]]) {
      expect(canonicalId(bad), String(bad)).to.equal(undefined);
    }
  });

  it('tells what PostgreSQL cannot store: NUL and unpaired surrogates, not pairs', () => {
    expect(unstorableReason('fine 😀')).to.equal(undefined);
    expect(unstorableReason('a\u0000b')).to.match(/U\+0000/);
    expect(unstorableReason('\ud800')).to.match(/surrogate/);
    expect(unstorableReason('x\udc00')).to.match(/surrogate/);
    expect(unstorableReason('\udc00\ud800')).to.match(/surrogate/);
    expect(unstorableReason('x'.repeat(1 << 20))).to.equal(undefined);
  });

  it('lower-cases ids along the schema, in objects, arrays and unions, and names the bad field', () => {
    const schema = Type.Object({
      chat_id: Uuid,
      ids: Type.Array(Uuid),
      maybe: Type.Union([Uuid, Type.Null()]),
      text: Type.String(),
      n: Type.Integer({ minimum: 0, maximum: 10 }),
    });
    const value = { chat_id: ID.toUpperCase(), ids: [ID.toUpperCase()], maybe: ID.toUpperCase(), text: 'ok', n: 3 };
    canonicalize(schema, value);
    expect(value).to.deep.equal({ chat_id: ID, ids: [ID], maybe: ID, text: 'ok', n: 3 });
    expect(refusal(() => canonicalize(schema, { ...value, text: 'a\u0000' })).details).to.deep.equal({ field: 'text' });
    expect(refusal(() => canonicalize(schema, { ...value, n: Infinity })).details).to.deep.equal({ field: 'n' });
    expect(refusal(() => canonicalize(schema, { ...value, n: 11 })).code).to.equal('validation_failed');
  });

  it('validators parse to the canonical value', () => {
    const validator = compileValidator(Type.Object({ chat_id: Uuid, text: Type.String() }));
    expect(validator.parse({ chat_id: ID.toUpperCase(), text: 'x' })).to.deep.equal({ chat_id: ID, text: 'x' });
    expect(refusal(() => validator.parse({ chat_id: `urn:uuid:${ID}`, text: 'x' })).code).to.equal('validation_failed');
    expect(refusal(() => validator.parse({ chat_id: ID, text: '\ud800' })).message).to.match(/^text: /);
  });

  it('puts the chat in the dedup id', () => {
    expect(sendDedupId('c1', 'u', 'r')).to.not.equal(sendDedupId('c2', 'u', 'r'));
  });

  it('accepts a token only with a uuid user_id and finite times, lower-cased', () => {
    const secret = 'a-test-secret-long-enough-0123456789';
    const sign = (claims: object) => jwt.sign({ username: 'u', ...claims }, secret, { algorithm: 'HS256', expiresIn: 60 });
    expect(verifyAccessToken(sign({ user_id: ID.toUpperCase() }), secret).user_id).to.equal(ID);
    for (const user_id of ['nope', `urn:uuid:${ID}`, 7, null]) {
      expect(refusal(() => verifyAccessToken(sign({ user_id }), secret)).code, String(user_id)).to.equal('unauthorized');
    }
  });

  it('tells outages from bugs, through causes', () => {
    expect(isOutageError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).to.equal(true);
    expect(isOutageError(Object.assign(new Error('x'), { code: '57P01' }))).to.equal(true);
    expect(isOutageError(Object.assign(new Error('x'), { code: '08006' }))).to.equal(true);
    expect(isOutageError(new Error('wrapped', { cause: new Error('Connection terminated unexpectedly') }))).to.equal(true);
    expect(isOutageError(new TypeError('undefined is not a function'))).to.equal(false);
    expect(isOutageError(Object.assign(new Error('x'), { code: '23505' }))).to.equal(false);
  });

  it('scrubs hashes, tokens and bearer values out of free text', () => {
    const hash = '$2a$10$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUVWXYZ01234';
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2lnbmF0dXJl';
    const out = scrubSecretText(`values ('${hash}') Authorization: Bearer ${token} /ws?token=${token}&x=1`);
    expect(out).to.not.include(hash);
    expect(out).to.not.include(token);
    expect(out).to.include('&x=1');
  });
});

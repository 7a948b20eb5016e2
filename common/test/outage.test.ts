import { expect } from 'chai';
import { errors as natsErrors } from '@nats-io/nats-core';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import { isOutageError } from '@neonchat/common';

describe('outage detection by the NATS client’s error classes', () => {
  it('knows every NATS "away, closing or no answer" class, NoResponders included (its instances are named NoResponders)', () => {
    const noResponders = new natsErrors.NoRespondersError('$JS.API.STREAM.INFO.CHAT_EVENTS');
    expect(noResponders.name).to.equal('NoResponders');
    expect(isOutageError(noResponders)).to.equal(true);
    for (const err of [
      new natsErrors.ConnectionError('connection refused'),
      new natsErrors.ClosedConnectionError(),
      new natsErrors.DrainingConnectionError(),
      new natsErrors.TimeoutError(),
      new natsErrors.RequestError('no responders', { cause: noResponders }),
    ]) {
      expect(isOutageError(err), err.constructor.name).to.equal(true);
    }
  });

  it('follows a JetStream error to its cause, and does not take the server’s refusal for an outage', () => {
    expect(isOutageError(new JetStreamError('request failed', { cause: new natsErrors.TimeoutError() }))).to.equal(true);
    expect(isOutageError(new JetStreamApiError({ code: 404, err_code: 10059, description: 'stream not found' }))).to.equal(false);
    expect(isOutageError(new natsErrors.InvalidSubjectError('a..b'))).to.equal(false);
    expect(isOutageError(new natsErrors.PermissionViolationError('denied', 'publish', 'x'))).to.equal(false);
  });
});

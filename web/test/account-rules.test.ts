import { expect } from 'chai';
import { deletionProblem, passwordChangeProblem } from '../src/auth/password-rules.js';
import { BlockBook } from '../src/state/block-book.js';
import { DELETED_ACCOUNT, shownName } from '../src/state/display-name.js';
import { deviceName } from '../src/views/device-name.js';

describe('web account rules (issue 27)', () => {
  it('checks a password change by the server rules: current given, new 6–72, confirmed', () => {
    expect(passwordChangeProblem('', 'new-password', 'new-password')).to.equal('Enter your current password.');
    expect(passwordChangeProblem('old', 'short', 'short')).to.match(/6–72 characters/);
    expect(passwordChangeProblem('old', 'x'.repeat(73), 'x'.repeat(73))).to.match(/6–72 characters/);
    expect(passwordChangeProblem('old', 'new-password', 'new-passwort')).to.match(/not the same/);
    expect(passwordChangeProblem('old', 'sixsix', 'sixsix')).to.equal(null);
    expect(passwordChangeProblem('old', 'x'.repeat(72), 'x'.repeat(72))).to.equal(null);
  });

  it('asks for the exact username and a password before deleting', () => {
    expect(deletionProblem('Dana', 'dana', 'pw')).to.match(/Type your username, Dana/);
    expect(deletionProblem('Dana', 'Dana', '')).to.equal('Enter your password.');
    expect(deletionProblem('Dana', ' Dana ', 'pw')).to.equal(null);
  });

  it('shows a deleted account as "Deleted account" and every other name as it is', () => {
    expect(shownName('deleted:0190a0a0-0000-7000-8000-000000000001')).to.equal(DELETED_ACCOUNT);
    expect(shownName('deleted_fan')).to.equal('deleted_fan');
    expect(shownName('alice')).to.equal('alice');
  });

  it('names devices by their user agent', () => {
    const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36';
    expect(deviceName(chrome)).to.equal('Chrome on Linux');
    expect(deviceName('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0')).to.equal('Firefox on Windows');
    expect(
      deviceName(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      ),
    ).to.equal('Safari on iOS');
    expect(deviceName('curl/8.5.0')).to.equal('curl/8.5.0');
    expect(deviceName('')).to.equal('Unknown device');
  });

  it('keeps whom I blocked and which 1:1 chats refused my messages until one is accepted', () => {
    const book = new BlockBook();
    book.setBlocked([{ id: 'u1', username: 'bob' }]);
    expect(book.isBlocked('u1')).to.equal(true);
    book.blocked('u1', 'bob', false);
    expect(book.isBlocked('u1')).to.equal(false);
    expect(book.refusedIn('c1')).to.equal(true);
    expect(book.refusedIn('c1'), 'known already').to.equal(false);
    expect(book.isRefusedIn('c1')).to.equal(true);
    expect(book.acceptedIn('c1')).to.equal(true);
    expect(book.isRefusedIn('c1')).to.equal(false);
    expect(book.acceptedIn('c1'), 'nothing to clear').to.equal(false);
  });
});

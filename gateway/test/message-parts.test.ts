import { expect } from 'chai';
import { mentionedNames } from '../src/message-parts.js';

describe('mentioned names (unit)', () => {
  it('finds @usernames where a name may stand, lower-cased, once each, not inside e-mail addresses', () => {
    expect(mentionedNames('hi @Bob_1, @bob_1 and @carol. mail x@dave.org, @ab too short')).to.deep.equal(['bob_1', 'carol']);
    expect(mentionedNames('no mentions here')).to.deep.equal([]);
    expect(mentionedNames(Array.from({ length: 80 }, (_, i) => `@user${i}`).join(' '))).to.have.length(50);
  });
});

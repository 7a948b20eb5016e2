import { expect } from 'chai';
import { tsqueryOf } from '../src/domain/message-search.js';

describe('search query (unit)', () => {
  it('keeps only runs of letters and digits, so no input is tsquery syntax; the last word is a prefix', () => {
    expect(tsqueryOf("&|!():*<->'\\")).to.equal(undefined);
    expect(tsqueryOf('')).to.equal(undefined);
    expect(tsqueryOf("a:* | b & !c <-> 'd' \\e")).to.deep.equal({ words: 'a & b & c & d', prefix: 'e:*' });
    expect(tsqueryOf('Сообщения  MESSAGES')).to.deep.equal({ words: 'сообщения', prefix: 'messages:*' });
    expect(tsqueryOf('one')).to.deep.equal({ words: '', prefix: 'one:*' });
    const many = tsqueryOf(Array.from({ length: 40 }, (_, i) => `w${i}`).join(' '))!;
    expect(many.words.split(' & ')).to.have.length(15);
    expect(many.prefix).to.equal('w15:*');
    for (const out of [many, tsqueryOf("x'); drop table messages; --")!]) {
      expect(`${out.words} ${out.prefix}`).to.match(/^[\p{L}\p{N} &:*]*$/u);
    }
  });
});

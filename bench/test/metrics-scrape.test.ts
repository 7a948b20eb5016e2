import { expect } from 'chai';
import { sumOf } from '../src/load/metrics-scrape.js';

const EXPOSITION = [
  '# HELP neonchat_persister_messages_written_total Chat events committed to PostgreSQL, by event type',
  '# TYPE neonchat_persister_messages_written_total counter',
  'neonchat_persister_messages_written_total{type="message.created"} 1200',
  'neonchat_persister_messages_written_total{type="message.edited"} 34',
  'neonchat_persister_messages_written_total_extra 999',
  'neonchat_presence_connections 7',
  'neonchat_presence_connections_total 99',
  'broken_metric{type="x"} not-a-number',
  '',
].join('\n');

describe('metrics scrape', () => {
  it('sums every label set of a metric and nothing that merely starts with its name', () => {
    expect(sumOf(EXPOSITION, 'neonchat_persister_messages_written_total')).to.equal(1234);
    expect(sumOf(EXPOSITION, 'neonchat_presence_connections')).to.equal(7);
  });

  it('is NaN for a metric the endpoint does not list or whose value is not a number', () => {
    expect(sumOf(EXPOSITION, 'neonchat_gateway_connections')).to.be.NaN;
    expect(sumOf(EXPOSITION, 'broken_metric')).to.be.NaN;
    expect(sumOf('', 'neonchat_presence_connections')).to.be.NaN;
  });
});

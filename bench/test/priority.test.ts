import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { getPriority } from 'node:os';
import { BackgroundPriority } from '../src/load/priority.js';

describe('bench background priority', () => {
  it('lowers the given processes and puts their priority back, ignoring one that is gone', async () => {
    const child = spawn('sleep', ['30']);
    try {
      const pid = child.pid!;
      const before = getPriority(pid);
      const background = new BackgroundPriority(7);
      background.apply([pid, 2 ** 22 + 12345]);
      expect(getPriority(pid)).to.equal(7);
      expect(background.note()).to.include('nice 7');
      background.restore();
      expect(getPriority(pid)).to.equal(before);
      const off = new BackgroundPriority(0);
      off.apply([pid]);
      expect(getPriority(pid)).to.equal(before);
      expect(off.note()).to.include('same priority');
    } finally {
      child.kill();
    }
  });
});

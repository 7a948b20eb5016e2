import { expect } from 'chai';
import {
  installedUwsBuilds,
  isNative,
  loadAndNameUws,
  loadNativeUws,
  NoNativeUwsError,
  UWS_BUILDS,
  UWS_MAX_HEADERS_BYTES,
  type Uws,
  type UwsBuild,
} from '../src/native-uws.js';

/** `App` as a native binding prints it (`function max() { [native code] }`). */
const NATIVE = { App: Math.max } as unknown as Uws;
/** `App` as the `ws` fallback defines it: JavaScript source. */
const FALLBACK = { App: function App() {} } as unknown as Uws;

/** A build whose load returns `uws` or throws `fails`, and that records whether it was asked for its version. */
function build(name: string, outcome: { uws?: Uws; fails?: string }): UwsBuild & { described: boolean } {
  return {
    name,
    described: false,
    load() {
      if (outcome.fails) throw new Error(outcome.fails);
      return outcome.uws!;
    },
    describe() {
      this.described = true;
      return { packageName: `${name}-pkg`, version: `${name}-v` };
    },
  };
}

describe('the uWebSockets.js loader (one of several builds, native only)', () => {
  it('takes the first build when it loads natively, and does not try the others', () => {
    const first = build('first', { uws: NATIVE });
    const second = build('second', { fails: 'must not be tried' });
    const loaded = loadNativeUws([first, second]);
    expect(loaded.uws).to.equal(NATIVE);
    expect(loaded).to.include({ packageName: 'first-pkg', version: 'first-v', abi: process.versions.modules });
    expect(loaded.skipped).to.deep.equal([]);
    expect(second.described).to.equal(false);
  });

  it('passes over a build whose binary does not load (glibc too old, no binary for this ABI) and says why', () => {
    const message =
      'This version of uWS.js (v20.57.0) supports only Node.js versions 20, 22, 24 and 25\n\n' +
      "Error: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.38' not found";
    const loaded = loadNativeUws([build('new', { fails: message }), build('old', { uws: NATIVE })]);
    expect(loaded.packageName).to.equal('old-pkg');
    expect(loaded.skipped).to.have.length(1);
    expect(loaded.skipped[0]!.name).to.equal('new');
    expect(loaded.skipped[0]!.reason).to.contain('supports only Node.js').and.contain('GLIBC_2.38');
  });

  it('passes over a build that loaded its ws fallback, like one that threw', () => {
    const loaded = loadNativeUws([build('old', { uws: FALLBACK }), build('other', { uws: NATIVE })]);
    expect(loaded.packageName).to.equal('other-pkg');
    expect(loaded.skipped).to.deep.equal([{ name: 'old', reason: 'fell back to its JavaScript (ws) implementation' }]);
  });

  it('refuses to start when no build is native, naming every build and why', () => {
    const attempt = () => loadNativeUws([build('new', { fails: 'no binary for ABI 999' }), build('old', { uws: FALLBACK })]);
    expect(attempt).to.throw(NoNativeUwsError, /refusing to start on a fallback/);
    try {
      attempt();
    } catch (err) {
      expect((err as NoNativeUwsError).skipped.map((s) => s.name)).to.deep.equal(['new', 'old']);
      expect((err as Error).message)
        .to.contain('no binary for ABI 999')
        .and.contain('fell back');
    }
  });

  it('names what it loaded in the start-up log: package, version, Node and ABI, and what it passed over', () => {
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger = { info: (obj: Record<string, unknown>, msg: string) => void lines.push({ obj, msg }) };
    loadAndNameUws(logger as never, [build('new', { fails: 'boom' }), build('old', { uws: NATIVE })]);
    expect(lines).to.have.length(1);
    expect(lines[0]!.obj).to.deep.include({
      uws_package: 'old-pkg',
      uws_version: 'old-v',
      node: process.version,
      node_abi: process.versions.modules,
    });
    expect(lines[0]!.obj.uws_skipped).to.deep.equal([{ name: 'new', reason: 'boom' }]);
    expect(lines[0]!.msg).to.contain('old-v').and.contain(`ABI ${process.versions.modules}`);
  });

  it('gives uWS a 16 KiB request-head limit before loading it (20.57 reads 4 KiB otherwise), keeping an operator’s own', () => {
    const saved = process.env.UWS_HTTP_MAX_HEADERS_SIZE;
    try {
      delete process.env.UWS_HTTP_MAX_HEADERS_SIZE;
      loadNativeUws(installedUwsBuilds());
      expect(process.env.UWS_HTTP_MAX_HEADERS_SIZE).to.equal(String(UWS_MAX_HEADERS_BYTES));
      expect(UWS_MAX_HEADERS_BYTES).to.equal(16 * 1024);
      process.env.UWS_HTTP_MAX_HEADERS_SIZE = '9000';
      loadNativeUws(installedUwsBuilds());
      expect(process.env.UWS_HTTP_MAX_HEADERS_SIZE).to.equal('9000');
    } finally {
      if (saved === undefined) delete process.env.UWS_HTTP_MAX_HEADERS_SIZE;
      else process.env.UWS_HTTP_MAX_HEADERS_SIZE = saved;
    }
  });

  it('tries the current build first, then the one for older glibc', () => {
    expect(UWS_BUILDS).to.deep.equal(['@btc-vision/uwebsockets.js', 'uWebSockets.js']);
  });

  it('loads the installed build this runtime can run, natively (v20.30 on glibc < 2.38 and Node 20; v20.57 otherwise)', () => {
    const glibc = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
    const [major = 0, minor = 0] = (glibc ?? '0.0').split('.').map(Number);
    const current = major > 2 || (major === 2 && minor >= 38);
    const loaded = loadNativeUws(installedUwsBuilds());
    expect(isNative(loaded.uws)).to.equal(true);
    if (current) {
      expect(loaded).to.include({ packageName: '@btc-vision/uwebsockets.js', version: '20.57.0' });
    } else {
      expect(loaded).to.include({ packageName: '@trufflesuite/uws-js-unofficial', version: '20.30.0-unofficial.0' });
      expect(loaded.skipped.map((s) => s.name)).to.deep.equal(['@btc-vision/uwebsockets.js']);
      expect(loaded.skipped[0]!.reason).to.contain('GLIBC_2.38');
    }
  });
});

// One-off used by issue 11: rewrites `import {…} from '@neonchat/common'` in the given files into
// imports from the entry that exports each name (contracts, runtime, db). Rerun after a merge that
// brings back barrel imports: node scripts/rewrite-common-imports.cjs $(grep -rl "from '@neonchat/common'" */src)
/* global __dirname */
const ts = require('typescript');
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..');
const entries = { contracts: 'common/src/contracts/mod.ts', runtime: 'common/src/runtime/mod.ts', db: 'common/src/db/mod.ts' };
const program = ts.createProgram(
  Object.values(entries).map((e) => path.join(root, e)),
  { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, allowJs: false },
);
const checker = program.getTypeChecker();
const owner = new Map();
for (const [name, file] of Object.entries(entries)) {
  const sf = program.getSourceFile(path.join(root, file));
  const sym = checker.getSymbolAtLocation(sf);
  for (const e of checker.getExportsOfModule(sym)) if (!owner.has(e.name)) owner.set(e.name, name);
}
const files = process.argv.slice(2);
const re = /import\s+(type\s+)?\{([^}]*)\}\s+from\s+'@neonchat\/common';\n/g;
for (const f of files) {
  let src = fs.readFileSync(f, 'utf8');
  let changed = false;
  src = src.replace(re, (_m, typeOnly, body) => {
    changed = true;
    const groups = {};
    for (let item of body
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      let isType = !!typeOnly;
      if (item.startsWith('type ')) {
        isType = true;
        item = item.slice(5).trim();
      }
      const base = item.split(/\s+as\s+/)[0].trim();
      const entry = owner.get(base);
      if (!entry) throw new Error(`${f}: no entry exports ${base}`);
      (groups[entry] ??= []).push((isType && !typeOnly ? 'type ' : '') + item);
    }
    return Object.entries(groups)
      .map(([entry, items]) => `import ${typeOnly ? 'type ' : ''}{ ${items.join(', ')} } from '@neonchat/common/${entry}';\n`)
      .join('');
  });
  if (changed) fs.writeFileSync(f, src);
}

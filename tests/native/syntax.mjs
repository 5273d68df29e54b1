// The plugin's Kotlin and Swift code cannot be compiled here (no Android SDK, no Xcode):
// this parses it with tree-sitter's Kotlin and Swift grammars (prebuilt WebAssembly from
// npm) and fails on any syntax error, naming the file, line and column. It proves the
// files parse; not that they type-check against the Android SDK, PhotoKit or Tauri's API.
//
//   npm run test:native

import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';
import Parser from 'web-tree-sitter';

const root = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const grammars = { '.kt': 'kotlin', '.kts': 'kotlin', '.swift': 'swift' };

function* sources(folder) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    // .tauri/ holds Tauri's own API, copied in by its build step; .build/ is Swift's.
    if (entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (Object.keys(grammars).some((ending) => entry.name.endsWith(ending))) yield path;
  }
}

/** The first few nodes of a tree that are errors or that the parser had to invent. */
function problems(node, found = []) {
  if (found.length >= 5) return found;
  if (node.type === 'ERROR' || node.isMissing()) {
    const { row, column } = node.startPosition;
    found.push(`${row + 1}:${column + 1}: ${node.isMissing() ? `missing ${node.type}` : `cannot parse "${node.text.slice(0, 40)}"`}`);
  }
  for (const child of node.children) problems(child, found);
  return found;
}

await Parser.init();
const parser = new Parser();
const languages = {};
let failed = 0;
let checked = 0;
for (const path of sources(join(root, 'plugins'))) {
  const ending = Object.keys(grammars).find((e) => path.endsWith(e));
  const grammar = grammars[ending];
  languages[grammar] ??= await Parser.Language.load(require.resolve(`tree-sitter-wasms/out/tree-sitter-${grammar}.wasm`));
  parser.setLanguage(languages[grammar]);
  const tree = parser.parse(readFileSync(path, 'utf8'));
  checked += 1;
  if (tree.rootNode.hasError()) {
    failed += 1;
    for (const problem of problems(tree.rootNode)) console.error(`${relative(root, path)}:${problem}`);
  }
}
if (checked === 0) throw new Error('no Kotlin or Swift files found under plugins/');
console.log(`native syntax: ${checked} Kotlin and Swift files parsed, ${failed} with errors`);
process.exitCode = failed > 0 ? 1 : 0;

// The contract between the photo-library plugin's Rust side (plugins/photo-library/src/
// mobile.rs and pages.rs) and its Kotlin and Swift sides, read from the sources (neither
// can be compiled here): every command Rust calls exists on Android and iOS; the keys of
// its arguments are the fields of the native argument classes; every key Rust needs in
// a reply is written by both; every reject code the native sides use is one Rust maps;
// iOS's plugin entry point is public (an internal one does not link in a release build);
// no Android permission alias mixes a permission the manifest limits with maxSdkVersion
// with others (Tauri refuses the whole request where that one is not declared); every
// permission the Kotlin asks for is in the manifest; the Info.plist keys iOS needs are
// committed. It proves the names agree, not that the code runs.
//
//   npm run test:native

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const read = (path) => readFileSync(join(root, path), 'utf8');

const rust = ['mobile', 'pages', 'power'].map((name) => read(`plugins/photo-library/src/${name}.rs`)).join('\n');
const kotlin = read('plugins/photo-library/android/src/main/java/PhotoLibraryPlugin.kt');
const swift = read('plugins/photo-library/ios/Sources/PhotoLibraryPlugin.swift');
const manifest = read('plugins/photo-library/android/src/main/AndroidManifest.xml');
const plist = read('src-tauri/Info.ios.plist');

const problems = [];
const expect = (ok, problem) => {
  if (!ok) problems.push(problem);
};
const camel = (snake) => snake.replace(/_([a-z])/g, (_, letter) => letter.toUpperCase());
const all = (text, pattern) => [...text.matchAll(pattern)].map((m) => m[1]);

/** Rust structs by name: their serialized keys and whether each is required in a reply. */
function rustStructs() {
  const structs = {};
  for (const m of rust.matchAll(/((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([a-z]+\))? )?struct (\w+)(?:<[^>]*>)? \{([^}]*)\}/g)) {
    const camelCase = /rename_all = "camelCase"/.test(m[1]);
    const fields = [];
    for (const f of m[3].matchAll(/((?:#\[[^\]]*\]\s*)*)(?:pub(?:\([a-z]+\))? )?(\w+): ([^,\n]+),/g)) {
      const optional = /serde\(default\)/.test(f[1]) || f[3].startsWith('Option<');
      fields.push({ key: camelCase ? camel(f[2]) : f[2], optional });
    }
    structs[m[2]] = fields;
  }
  return structs;
}
const structs = rustStructs();

// Commands: called from Rust by name, defined on both sides.
// Directly, or through the helper the access commands share.
const called = new Set([
  ...all(rust, /run_mobile_plugin(?:_async)?(?:::<[^>]*>)?\(\s*"(\w+)"/g),
  ...all(rust, /access_of\("(\w+)"\)/g),
]);
const kotlinCommands = new Set(all(kotlin, /@Command\s+fun (\w+)\(/g));
const swiftCommands = new Set(all(swift, /@objc public func (\w+)\(_ invoke: Invoke\)/g));
expect(called.size > 0, 'no command calls found in mobile.rs');
for (const command of called) {
  expect(kotlinCommands.has(command), `Android has no @Command ${command}, which Rust calls`);
  expect(swiftCommands.has(command), `iOS has no @objc public func ${command}(_ invoke: Invoke), which Rust calls`);
}

// Arguments: each Rust *Args struct is the native class of the same name, key for key.
const kotlinArgs = {};
for (const m of kotlin.matchAll(/@InvokeArg\s+class (\w+) \{([^}]*)\}/g)) kotlinArgs[m[1]] = new Set(all(m[2], /(?:lateinit )?var (\w+)/g));
const swiftArgs = {};
for (const m of swift.matchAll(/class (\w+): Decodable \{([^}]*)\}/g)) swiftArgs[m[1]] = new Set(all(m[2], /let (\w+)/g));
for (const [name, fields] of Object.entries(structs).filter(([name]) => name.endsWith('Args'))) {
  const keys = fields.map((f) => f.key).sort().join(', ');
  for (const [side, classes] of [['Android', kotlinArgs], ['iOS', swiftArgs]]) {
    const theirs = classes[name] ? [...classes[name]].sort().join(', ') : null;
    expect(theirs === keys, `${side}'s ${name} has ${theirs ?? 'no class'}; Rust sends ${keys}`);
  }
}

// Replies: every key Rust requires is written by both sides; every key they write is one
// Rust reads.
const replies = Object.entries(structs).filter(([name]) => !name.endsWith('Args'));
const rustKeys = new Set(replies.flatMap(([, fields]) => fields.map((f) => f.key)));
const kotlinKeys = new Set(all(kotlin, /\.put\("(\w+)"/g));
const swiftKeys = new Set([...all(swift, /"(\w+)": /g), ...all(swift, /\w+\["(\w+)"\] = /g)]);
for (const [name, fields] of replies) {
  for (const { key, optional } of fields.filter((f) => !f.optional)) {
    expect(kotlinKeys.has(key), `Android never writes "${key}", which Rust's ${name} requires`);
    // iOS hands photos over as files only: the descriptor key is Android's.
    expect(swiftKeys.has(key), `iOS never writes "${key}", which Rust's ${name} requires`);
  }
}
for (const [side, keys] of [['Android', kotlinKeys], ['iOS', swiftKeys]]) {
  for (const key of keys) expect(rustKeys.has(key), `${side} writes "${key}", which no Rust reply reads`);
}

// Reject codes.
const mapped = new Set(all(rust, /Some\("(\w+)"\) =>/g));
const kotlinCodes = all(kotlin, /invoke\.reject\([^\n]*, "(\w+)"\)/g);
const swiftCodes = all(swift, /code: (?:[^"\n]*\? )?"(\w+)"/g).concat(all(swift, /code: [^"\n]*: "(\w+)"/g));
expect(mapped.size > 0, 'no reject codes mapped in mobile.rs');
for (const [side, codes] of [['Android', kotlinCodes], ['iOS', swiftCodes]]) {
  for (const code of codes) expect(mapped.has(code), `${side} rejects with code "${code}", which Rust does not map`);
}

// iOS's entry point.
const entry = swift.match(/@_cdecl\("(\w+)"\)\s*(?:\/\/[^\n]*\n\s*)*((?:public )?)func/);
expect(entry !== null, 'no @_cdecl entry point in the Swift plugin');
expect(entry?.[2] === 'public ', `@_cdecl("${entry?.[1]}") func is not public: a release build does not link it`);
expect(entry === null || rust.includes(`ios_plugin_binding!(${entry[1]})`), `Rust binds no ${entry?.[1]}`);

// Android permissions.
const limited = new Set(all(manifest, /android:name="android\.permission\.(\w+)"\s+android:maxSdkVersion/g));
const declared = new Set(all(manifest, /android:name="android\.permission\.(\w+)"/g));
const aliases = [...kotlin.matchAll(/Permission\(\s*strings = \[([^\]]*)\],\s*alias = (\w+)\s*\)/g)];
expect(aliases.length > 0, 'no permission aliases found in the Kotlin plugin');
for (const [, strings, alias] of aliases) {
  const permissions = all(strings, /Manifest\.permission\.(\w+)/g);
  for (const p of permissions) expect(declared.has(p), `${p} (alias ${alias}) is not in AndroidManifest.xml`);
  const capped = permissions.filter((p) => limited.has(p));
  expect(capped.length === 0 || permissions.length === 1, `alias ${alias} mixes ${capped.join(', ')} (maxSdkVersion in the manifest) with other permissions: Tauri refuses the whole request where it is not declared`);
}

// iOS's Info.plist.
for (const key of ['NSPhotoLibraryUsageDescription', 'PHPhotoLibraryPreventAutomaticLimitedAccessAlert']) {
  expect(plist.includes(`<key>${key}</key>`), `src-tauri/Info.ios.plist lacks ${key}`);
}

for (const problem of problems) console.error(`contract: ${problem}`);
console.log(`native contract: ${called.size} commands, ${Object.keys(kotlinArgs).length} argument classes, ${rustKeys.size} reply keys, ${aliases.length} permission aliases checked; ${problems.length} problems`);
process.exitCode = problems.length > 0 ? 1 : 0;

// Compiles the photo-library plugin's Kotlin (plugins/photo-library/android) with the
// Kotlin compiler from npm, together with Tauri's own Android plugin API from the cargo
// registry (the `tauri` crate the app builds with: its mobile/android sources, the
// classes the plugin extends and calls), against stand-ins for the Android SDK and
// AndroidX classes they use (tests/native/android-stubs: no android.jar can be had here)
// and Debian's Jackson (which Tauri's API uses).
//
// What it proves: the plugin's Kotlin type-checks against Tauri's real plugin API (its
// annotations, Plugin, Invoke, JSObject, Channel) and against the Android members it uses
// as the stand-ins declare them. What it does not: that the real SDK's signatures are
// the stand-ins' (they are written from the Android reference, not generated), that it
// builds with Gradle and the Android plugin, or anything at runtime.
//
//   npm run test:native

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const stubs = join(root, 'tests/native/android-stubs');
const kotlinc = join(root, 'node_modules/kotlin-compiler/bin/kotlinc');
const jackson = ['jackson-databind', 'jackson-core', 'jackson-annotations'].map((name) => `/usr/share/java/${name}.jar`);
for (const needed of [kotlinc, ...jackson]) {
  if (!existsSync(needed)) throw new Error(`${needed} is missing: run scripts/setup`);
}

function* files(folder, ending) {
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) yield* files(path, ending);
    else if (entry.name.endsWith(ending)) yield path;
  }
}

// The tauri crate the app is built with (Cargo.lock's), where cargo keeps its sources once
// it has built the app.
const version = readFileSync(join(root, 'Cargo.lock'), 'utf8').match(/name = "tauri"\nversion = "([^"]+)"/)[1];
const registry = join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'registry/src');
const crate = readdirSync(registry)
  .map((index) => join(registry, index, `tauri-${version}`))
  .find((path) => existsSync(path));
if (!crate) throw new Error(`tauri ${version}'s sources are not in ${registry}: build the app first (npm run app:build)`);
const tauri = { version };
const tauriApi = join(crate, 'mobile/android/src/main/java/app/tauri');
// The plugin API and what it needs (not the app-side plugins Tauri ships, App and Path).
const tauriSources = [
  ...files(join(tauriApi, 'annotation'), '.kt'),
  ...files(join(tauriApi, 'plugin'), '.kt'),
  ...['FsUtils', 'JniMethod', 'Logger', 'PermissionHelper', 'PermissionState'].map((name) => join(tauriApi, `${name}.kt`)),
];
const ours = [...files(join(root, 'plugins/photo-library/android/src'), '.kt')];

const work = mkdtempSync(join(tmpdir(), 'motis-kotlin-'));
try {
  const classes = join(work, 'stubs');
  execFileSync('javac', ['-nowarn', '-d', classes, '-cp', jackson.join(':'), ...files(stubs, '.java')], { stdio: 'inherit' });
  let output = '';
  try {
    output = execFileSync(
      kotlinc,
      ['-cp', [classes, ...jackson].join(':'), '-d', join(work, 'out'), ...files(stubs, '.kt'), ...tauriSources, ...ours],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
  } catch (error) {
    console.error(`${error.stdout ?? ''}${error.stderr ?? ''}`);
    throw new Error('the plugin\'s Kotlin does not compile with Tauri\'s Android API');
  }
  // Tauri's own deprecation warnings are its business; ours are not.
  const ourWarnings = output.split('\n').filter((line) => line.includes('warning:') && ours.some((path) => line.startsWith(path)));
  if (ourWarnings.length > 0) throw new Error(`warnings in the plugin's Kotlin:\n${ourWarnings.join('\n')}`);
  console.log(
    `native Kotlin: ${ours.map((p) => relative(root, p)).join(', ')} compiled with tauri ${tauri.version}'s Android plugin API ` +
      `(${tauriSources.length} files) against ${[...files(stubs, '.java')].length} Android stand-ins and Debian's Jackson`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

// What Gradle generates for Tauri's Android library (namespace app.tauri) when it builds
// it: a stand-in with the one field Tauri's Logger reads, for tests/native/kotlin.mjs.
package app.tauri;
public final class BuildConfig {
  public static final boolean DEBUG = false;
}

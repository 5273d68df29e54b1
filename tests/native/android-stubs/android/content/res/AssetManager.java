// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.content.res;
public final class AssetManager {
  public final java.io.InputStream open(String fileName) throws java.io.IOException { throw new RuntimeException("stub"); }
}

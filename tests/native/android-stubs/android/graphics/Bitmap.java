// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.graphics;
public final class Bitmap {
  public enum CompressFormat { JPEG, PNG, WEBP }
  public boolean compress(CompressFormat format, int quality, java.io.OutputStream stream) { throw new RuntimeException("stub"); }
  public void recycle() { throw new RuntimeException("stub"); }
}

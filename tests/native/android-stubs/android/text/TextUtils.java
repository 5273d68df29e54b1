// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.text;
public class TextUtils {
  public static String join(CharSequence delimiter, Object[] tokens) { throw new RuntimeException("stub"); }
  public static String join(CharSequence delimiter, Iterable tokens) { throw new RuntimeException("stub"); }
}

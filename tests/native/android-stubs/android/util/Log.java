// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.util;
public final class Log {
  public static int d(String tag, String msg) { return 0; }
  public static int e(String tag, String msg) { return 0; }
  public static int e(String tag, String msg, Throwable tr) { return 0; }
  public static int i(String tag, String msg) { return 0; }
  public static int v(String tag, String msg) { return 0; }
  public static int w(String tag, String msg) { return 0; }
}

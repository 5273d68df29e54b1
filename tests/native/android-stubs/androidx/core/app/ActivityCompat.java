// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package androidx.core.app;
public class ActivityCompat extends androidx.core.content.ContextCompat {
  public static boolean shouldShowRequestPermissionRationale(android.app.Activity activity, String permission) { throw new RuntimeException("stub"); }
}

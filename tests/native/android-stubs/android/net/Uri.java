// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.net;
public abstract class Uri implements android.os.Parcelable {
  public static Uri parse(String uriString) { throw new RuntimeException("stub"); }
  public abstract String getAuthority();
  public abstract String getScheme();
  public abstract String getPath();
  public abstract String getLastPathSegment();
}

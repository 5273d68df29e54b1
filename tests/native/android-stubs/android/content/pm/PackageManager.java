// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.content.pm;
public abstract class PackageManager {
  public static final int PERMISSION_GRANTED = 0;
  public static final int PERMISSION_DENIED = -1;
  public static final int GET_PERMISSIONS = 4096;
  public abstract PackageInfo getPackageInfo(String packageName, int flags) throws NameNotFoundException;
  public PackageInfo getPackageInfo(String packageName, PackageInfoFlags flags) throws NameNotFoundException { throw new RuntimeException("stub"); }
  public static final class PackageInfoFlags {
    public static PackageInfoFlags of(long value) { throw new RuntimeException("stub"); }
  }
  public static class NameNotFoundException extends Exception {}
}

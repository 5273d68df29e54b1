// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.content;
public abstract class Context {
  public static final int MODE_PRIVATE = 0;
  public static final String POWER_SERVICE = "power";
  public abstract Intent registerReceiver(BroadcastReceiver receiver, IntentFilter filter);
  public abstract Object getSystemService(String name);
  public abstract ContentResolver getContentResolver();
  public abstract SharedPreferences getSharedPreferences(String name, int mode);
  public abstract String getPackageName();
  public abstract android.content.pm.PackageManager getPackageManager();
  public abstract java.io.File getFilesDir();
  public abstract java.io.File getCacheDir();
  public abstract java.io.File[] getExternalCacheDirs();
  public abstract java.io.File getExternalFilesDir(String type);
  public abstract android.content.res.AssetManager getAssets();
  public abstract void startActivity(Intent intent);
}

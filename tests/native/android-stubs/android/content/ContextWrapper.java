// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.content;
public class ContextWrapper extends Context {
  public ContentResolver getContentResolver() { throw new RuntimeException("stub"); }
  public SharedPreferences getSharedPreferences(String name, int mode) { throw new RuntimeException("stub"); }
  public String getPackageName() { throw new RuntimeException("stub"); }
  public android.content.pm.PackageManager getPackageManager() { throw new RuntimeException("stub"); }
  public java.io.File getFilesDir() { throw new RuntimeException("stub"); }
  public java.io.File getCacheDir() { throw new RuntimeException("stub"); }
  public java.io.File[] getExternalCacheDirs() { throw new RuntimeException("stub"); }
  public java.io.File getExternalFilesDir(String type) { throw new RuntimeException("stub"); }
  public android.content.res.AssetManager getAssets() { throw new RuntimeException("stub"); }
  public void startActivity(Intent intent) { throw new RuntimeException("stub"); }
  public Intent registerReceiver(BroadcastReceiver receiver, IntentFilter filter) { throw new RuntimeException("stub"); }
  public Object getSystemService(String name) { throw new RuntimeException("stub"); }
}

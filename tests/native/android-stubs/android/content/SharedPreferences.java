// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.content;
public interface SharedPreferences {
  boolean getBoolean(String key, boolean defValue);
  String getString(String key, String defValue);
  Editor edit();
  interface Editor {
    Editor putBoolean(String key, boolean value);
    Editor putString(String key, String value);
    Editor remove(String key);
    void apply();
    boolean commit();
  }
}

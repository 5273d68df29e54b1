// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.content;
public class Intent implements android.os.Parcelable {
  public static final String ACTION_SEND = "android.intent.action.SEND";
  public static final String ACTION_BATTERY_CHANGED = "android.intent.action.BATTERY_CHANGED";
  public static final String EXTRA_STREAM = "android.intent.extra.STREAM";
  public static final int FLAG_GRANT_READ_URI_PERMISSION = 1;
  public Intent() {}
  public Intent(String action) {}
  public String getType() { throw new RuntimeException("stub"); }
  public Intent setType(String type) { throw new RuntimeException("stub"); }
  public Intent putExtra(String name, android.os.Parcelable value) { throw new RuntimeException("stub"); }
  public Intent addFlags(int flags) { throw new RuntimeException("stub"); }
  public android.net.Uri getData() { throw new RuntimeException("stub"); }
  public int getIntExtra(String name, int defaultValue) { throw new RuntimeException("stub"); }
  public static Intent createChooser(Intent target, CharSequence title) { throw new RuntimeException("stub"); }
}

// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.content;
public abstract class BroadcastReceiver {
  public abstract void onReceive(Context context, Intent intent);
}

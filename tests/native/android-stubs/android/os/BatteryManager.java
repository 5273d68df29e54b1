// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.os;
public class BatteryManager {
  public static final String EXTRA_LEVEL = "level";
  public static final String EXTRA_SCALE = "scale";
  public static final String EXTRA_STATUS = "status";
  public static final String EXTRA_TEMPERATURE = "temperature";
  public static final int BATTERY_STATUS_UNKNOWN = 1;
  public static final int BATTERY_STATUS_CHARGING = 2;
  public static final int BATTERY_STATUS_DISCHARGING = 3;
  public static final int BATTERY_STATUS_NOT_CHARGING = 4;
  public static final int BATTERY_STATUS_FULL = 5;
}

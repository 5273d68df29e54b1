// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.os;
public final class PowerManager {
  public static final int THERMAL_STATUS_NONE = 0;
  public static final int THERMAL_STATUS_LIGHT = 1;
  public static final int THERMAL_STATUS_MODERATE = 2;
  public static final int THERMAL_STATUS_SEVERE = 3;
  public static final int THERMAL_STATUS_CRITICAL = 4;
  public static final int THERMAL_STATUS_EMERGENCY = 5;
  public static final int THERMAL_STATUS_SHUTDOWN = 6;
  public int getCurrentThermalStatus() { throw new RuntimeException("stub"); }
}

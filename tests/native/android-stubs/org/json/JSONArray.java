// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package org.json;
public class JSONArray {
  public JSONArray() {}
  public JSONArray(String json) throws JSONException {}
  public JSONArray(java.util.Collection copyFrom) {}
  public JSONArray(Object array) throws JSONException {}
  public JSONArray put(boolean value) { return this; }
  public JSONArray put(int value) { return this; }
  public JSONArray put(long value) { return this; }
  public JSONArray put(double value) throws JSONException { return this; }
  public JSONArray put(Object value) { return this; }
  public Object get(int index) throws JSONException { throw new JSONException("stub"); }
  public String getString(int index) throws JSONException { throw new JSONException("stub"); }
  public JSONObject getJSONObject(int index) throws JSONException { throw new JSONException("stub"); }
  public int length() { return 0; }
}

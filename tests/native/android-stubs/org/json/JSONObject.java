// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package org.json;
public class JSONObject {
  public static final Object NULL = new Object();
  public JSONObject() {}
  public JSONObject(String json) throws JSONException {}
  public JSONObject(JSONObject copyFrom, String[] names) throws JSONException {}
  public JSONObject(java.util.Map copyFrom) {}
  public JSONObject put(String name, boolean value) throws JSONException { return this; }
  public JSONObject put(String name, int value) throws JSONException { return this; }
  public JSONObject put(String name, long value) throws JSONException { return this; }
  public JSONObject put(String name, double value) throws JSONException { return this; }
  public JSONObject put(String name, Object value) throws JSONException { return this; }
  public Object get(String name) throws JSONException { throw new JSONException(name); }
  public Object opt(String name) { return null; }
  public String getString(String name) throws JSONException { throw new JSONException(name); }
  public boolean getBoolean(String name) throws JSONException { throw new JSONException(name); }
  public int getInt(String name) throws JSONException { throw new JSONException(name); }
  public long getLong(String name) throws JSONException { throw new JSONException(name); }
  public double getDouble(String name) throws JSONException { throw new JSONException(name); }
  public JSONObject getJSONObject(String name) throws JSONException { throw new JSONException(name); }
  public JSONArray getJSONArray(String name) throws JSONException { throw new JSONException(name); }
  public boolean has(String name) { return false; }
  public boolean isNull(String name) { return true; }
  public java.util.Iterator<String> keys() { throw new RuntimeException("stub"); }
  public int length() { return 0; }
}

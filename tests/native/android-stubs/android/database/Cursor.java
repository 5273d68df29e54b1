// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.database;
public interface Cursor extends java.io.Closeable {
  boolean moveToNext();
  boolean moveToFirst();
  String getString(int columnIndex);
  long getLong(int columnIndex);
  boolean isNull(int columnIndex);
  int getColumnIndex(String columnName);
  int getColumnIndexOrThrow(String columnName) throws IllegalArgumentException;
  void close();
}

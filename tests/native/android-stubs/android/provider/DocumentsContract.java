// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.provider;
public final class DocumentsContract {
  public static boolean isDocumentUri(android.content.Context context, android.net.Uri uri) { throw new RuntimeException("stub"); }
  public static String getDocumentId(android.net.Uri documentUri) { throw new RuntimeException("stub"); }
}

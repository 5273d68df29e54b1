// A stand-in for the Android SDK's class of this name (no android.jar can be had here),
// written from the Android reference with the members Tauri's plugin API and motis's
// plugin use: signatures only, for tests/native/kotlin.mjs to type-check against.
package android.provider;
public final class MediaStore {
  public interface MediaColumns {
    String _ID = "_id";
    String DISPLAY_NAME = "_display_name";
    String DATE_MODIFIED = "date_modified";
    String SIZE = "_size";
    String DATE_TAKEN = "datetaken";
    String BUCKET_ID = "bucket_id";
    String BUCKET_DISPLAY_NAME = "bucket_display_name";
  }
  public static final class Images {
    public static final class Media implements MediaColumns {
      public static final android.net.Uri EXTERNAL_CONTENT_URI = null;
    }
  }
  public static final class Video {
    public static final class Media implements MediaColumns {
      public static final android.net.Uri EXTERNAL_CONTENT_URI = null;
    }
  }
  public static final class Audio {
    public static final class Media implements MediaColumns {
      public static final android.net.Uri EXTERNAL_CONTENT_URI = null;
    }
  }
}

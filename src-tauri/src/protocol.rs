//! The `photo:` protocol: `photo://localhost/preview-ID` and `photo://localhost/full-ID`
//! (`http://photo.localhost/…` on Windows and Android). It serves a photo's preview or
//! the photo itself by catalog id, and nothing else: the page cannot name a path.

use std::io::Cursor;
use std::path::Path;
use std::time::UNIX_EPOCH;

use motis_engine::PhotoId;
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

enum Kind {
    Preview,
    Full,
}

fn parse(path: &str) -> Option<(Kind, PhotoId)> {
    let name = path.trim_start_matches('/');
    let (kind, id) = name.split_once('-')?;
    let kind = match kind {
        "preview" => Kind::Preview,
        "full" => Kind::Full,
        _ => return None,
    };
    Some((kind, id.parse().ok().filter(|id: &PhotoId| *id > 0)?))
}

fn status(code: StatusCode, text: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(text.as_bytes().to_vec())
        .expect("a valid response")
}

/// The content type of the formats a webview shows as they are; `None` for the rest
/// (TIFF), which is converted to JPEG.
fn shown_as_is(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        [b'B', b'M', ..] => Some("image/bmp"),
        _ => None,
    }
}

/// A validator that changes whenever the file does: its size and modification time.
fn etag(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos();
    Some(format!("\"{:x}-{modified:x}\"", meta.len()))
}

fn respond(state: &AppState, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let Some((kind, id)) = parse(request.uri().path()) else {
        return status(StatusCode::NOT_FOUND, "photos are asked for as preview-ID or full-ID");
    };
    let Ok(engine) = state.engine() else {
        return status(StatusCode::SERVICE_UNAVAILABLE, "motis is still starting");
    };
    let file = match kind {
        Kind::Preview => engine.preview_path(id),
        Kind::Full => engine.photo(id).map(|photo| Some(photo.path)),
    };
    let file = match file {
        Ok(Some(file)) => file,
        Ok(None) => return status(StatusCode::NOT_FOUND, "no preview yet"),
        Err(error) => return status(StatusCode::NOT_FOUND, &error.to_string()),
    };
    let tag = etag(&file);
    let unchanged = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .zip(tag.as_deref())
        .is_some_and(|(asked, tag)| asked == tag);
    let builder = Response::builder()
        // Revalidate each time: a photo edited in place keeps its id.
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::ETAG, tag.unwrap_or_default());
    if unchanged {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Vec::new())
            .expect("a valid response");
    }
    let bytes = match std::fs::read(&file) {
        Ok(bytes) => bytes,
        Err(error) => return status(StatusCode::NOT_FOUND, &format!("{}: {error}", file.display())),
    };
    let (content_type, body) = match shown_as_is(&bytes) {
        Some(content_type) => (content_type, bytes),
        None => match to_jpeg(&file) {
            Ok(jpeg) => ("image/jpeg", jpeg),
            Err(message) => return status(StatusCode::UNSUPPORTED_MEDIA_TYPE, &message),
        },
    };
    builder
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)
        .expect("a valid response")
}

fn to_jpeg(file: &Path) -> Result<Vec<u8>, String> {
    let image = motis_media::decode_upright(file).map_err(|e| e.to_string())?;
    let mut jpeg = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .map_err(|e| format!("{}: cannot convert for display: {e}", file.display()))?;
    Ok(jpeg)
}

pub fn serve<R: Runtime>(context: UriSchemeContext<'_, R>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = context.app_handle().clone();
    // Reading a photo blocks: never on the webview's thread.
    std::thread::spawn(move || match app.try_state::<AppState>() {
        Some(state) => responder.respond(respond(&state, &request)),
        None => responder.respond(status(StatusCode::SERVICE_UNAVAILABLE, "motis is still starting")),
    });
}

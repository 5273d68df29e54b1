//! The `photo:` protocol: `photo://localhost/preview-ID`, `…/thumbnail-ID`,
//! `…/rendition-ID-SIZE` and `…/full-ID` (`http://photo.localhost/…` on Windows and
//! Android). It serves a photo's preview (made at once if the run has not reached it), the
//! thumbnail its camera embedded (shown until the preview is made), a rendition sized for
//! the screen, or the photo itself, by catalog id and nothing else: the page cannot name a
//! path.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use motis_engine::{Engine, EngineError, Origin, PhotoId};
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

enum Kind {
    /// The gallery's preview, made now if the run has not made it yet.
    Preview,
    /// The photo's embedded EXIF thumbnail while its preview is not made.
    Thumbnail,
    /// The photo itself, for the viewer.
    Full,
    /// A rendition at least this many pixels on its long side, for sharp results.
    Rendition(u32),
}

fn parse(path: &str) -> Option<(Kind, PhotoId)> {
    let mut parts = path.trim_start_matches('/').split('-');
    let (kind, id) = (parts.next()?, parts.next()?);
    let id = id.parse().ok().filter(|id: &PhotoId| *id > 0)?;
    let kind = match (kind, parts.next()) {
        ("preview", None) => Kind::Preview,
        ("thumbnail", None) => Kind::Thumbnail,
        ("full", None) => Kind::Full,
        ("rendition", Some(side)) => Kind::Rendition(side.parse().ok().filter(|side| (1..=8192).contains(side))?),
        _ => return None,
    };
    parts.next().is_none().then_some((kind, id))
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

/// Where an answer's bytes come from: a file motis made or a photo file, or a photo
/// of a library (which has no file of its own to validate).
enum Found {
    File(PathBuf),
    Library { id: PhotoId, tag: String, label: PathBuf },
}

/// The photo itself: its file, or a library's photo.
fn original(engine: &Engine, id: PhotoId) -> Result<Found, EngineError> {
    let photo = engine.photo(id)?;
    Ok(match photo.origin {
        Origin::File(path) => Found::File(path),
        library => Found::Library {
            id,
            tag: format!("\"{:x}-{:x}\"", photo.size, photo.mtime_ns),
            label: library.label(),
        },
    })
}

fn respond(state: &AppState, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
    let Some((kind, id)) = parse(request.uri().path()) else {
        return status(
            StatusCode::NOT_FOUND,
            "photos are asked for as preview-ID, thumbnail-ID, full-ID or rendition-ID-SIZE",
        );
    };
    let Ok(engine) = state.engine() else {
        return status(StatusCode::SERVICE_UNAVAILABLE, "motis is still starting");
    };
    let found = match kind {
        Kind::Thumbnail => return thumbnail(&engine, id),
        Kind::Preview => engine.preview_for_screen(id).map(Found::File),
        Kind::Rendition(side) => engine.rendition(id, side).map(Found::File),
        Kind::Full => original(&engine, id),
    };
    let found = match found {
        Ok(found) => found,
        Err(error) => return status(StatusCode::NOT_FOUND, &error.to_string()),
    };
    let tag = match &found {
        Found::File(file) => etag(file),
        Found::Library { tag, .. } => Some(tag.clone()),
    };
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
    let (bytes, label) = match found {
        Found::File(file) => match std::fs::read(&file) {
            Ok(bytes) => (bytes, file),
            Err(error) => return status(StatusCode::NOT_FOUND, &format!("{}: {error}", file.display())),
        },
        Found::Library { id, label, .. } => match engine.photo_bytes(id) {
            Ok(bytes) => (bytes, label),
            Err(error) => return status(StatusCode::NOT_FOUND, &error.to_string()),
        },
    };
    let (content_type, body) = match shown_as_is(&bytes) {
        Some(content_type) => (content_type, bytes),
        None => match to_jpeg(&label, &bytes) {
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

/// A stand-in for a moment, never revalidated: not kept (the preview replaces it).
fn thumbnail(engine: &Engine, id: PhotoId) -> Response<Vec<u8>> {
    match engine.embedded_thumbnail(id) {
        Ok(Some(jpeg)) => Response::builder()
            .status(StatusCode::OK)
            .header(header::CACHE_CONTROL, "no-store")
            .header(header::CONTENT_TYPE, "image/jpeg")
            .body(jpeg)
            .expect("a valid response"),
        Ok(None) => status(
            StatusCode::NOT_FOUND,
            "no embedded thumbnail to show (or the preview is made)",
        ),
        Err(error) => status(StatusCode::NOT_FOUND, &error.to_string()),
    }
}

fn to_jpeg(label: &Path, bytes: &[u8]) -> Result<Vec<u8>, String> {
    let image = motis_media::decode_bytes_upright_reduced(label, bytes, u32::MAX)
        .map_err(|e| e.to_string())?
        .image;
    let mut jpeg = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
        .map_err(|e| format!("{}: cannot convert for display: {e}", label.display()))?;
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

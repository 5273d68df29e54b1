//! Phones: the system photo library through the plugin's Kotlin (MediaStore) and Swift
//! (PhotoKit) code, which `run_mobile_plugin` calls and which answers in JSON. A listing
//! streams to Rust in pages over a `Channel`; a photo arrives as a file descriptor opened
//! on its `content://` URI (Android) or as a file the platform wrote to the app's cache
//! (iOS, and any photo the platform converted, such as HEIC to JPEG).

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use motis_engine::{Album, LibraryError, LibraryItem};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::plugin::mobile::PluginInvokeError;
use tauri::plugin::{PluginApi, PluginHandle};
use tauri::{AppHandle, Runtime};

use crate::pages::{Page, pages};
use crate::{Access, Error, LIBRARY_NAME, Result};

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_photo_library);

pub fn init<R: Runtime, C: DeserializeOwned>(_app: &AppHandle<R>, api: PluginApi<R, C>) -> Result<PhotoLibrary<R>> {
    #[cfg(target_os = "android")]
    let handle = api.register_android_plugin("app.motis.photolibrary", "PhotoLibraryPlugin")?;
    #[cfg(target_os = "ios")]
    let handle = api.register_ios_plugin(init_plugin_photo_library)?;
    Ok(PhotoLibrary(handle))
}

pub struct PhotoLibrary<R: Runtime>(PluginHandle<R>);

#[derive(Deserialize)]
struct AccessReply {
    access: Access,
}

#[derive(Deserialize)]
struct AlbumsReply {
    albums: Vec<AlbumReply>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlbumReply {
    id: String,
    name: String,
    count: Option<usize>,
}

impl AlbumsReply {
    fn into_albums(self) -> Vec<Album> {
        self.albums
            .into_iter()
            .map(|a| Album {
                id: a.id,
                name: a.name,
                count: a.count,
            })
            .collect()
    }
}

// The page's commands await the platform's answer (a permission prompt may take minutes)
// without holding one of the async runtime's threads; the engine's reads, on its blocking
// workers, wait for theirs.
impl<R: Runtime> PhotoLibrary<R> {
    async fn access_of(&self, command: &str) -> Result<Access> {
        Ok(self.0.run_mobile_plugin_async::<AccessReply>(command, ()).await?.access)
    }

    pub async fn access(&self) -> Result<Access> {
        self.access_of("access").await
    }

    pub async fn request_access(&self) -> Result<Access> {
        self.access_of("requestAccess").await
    }

    pub async fn widen_selection(&self) -> Result<Access> {
        self.access_of("widenSelection").await
    }

    pub async fn albums(&self) -> Result<Vec<Album>> {
        let reply: AlbumsReply = self.0.run_mobile_plugin_async("listAlbums", ()).await?;
        Ok(reply.into_albums())
    }

    /// The system photo library as a source for the engine.
    pub fn library(&self) -> Option<Arc<dyn motis_engine::PhotoLibrary>> {
        Some(Arc::new(MobileLibrary(self.0.clone())))
    }

    pub fn pick_folder(&self) -> Result<Option<PathBuf>> {
        Err(Error::Unsupported("choosing a folder"))
    }

    /// The device's power now (its battery, charger and heat), from the platform.
    pub fn power_state(&self) -> Result<crate::PowerState> {
        Ok(self.0.run_mobile_plugin("powerState", ())?)
    }

    /// The system's share sheet with the photo `item` of the library.
    pub fn share(&self, item: &str) -> Result<()> {
        Ok(self.0.run_mobile_plugin("sharePhoto", ItemArgs { id: item })?)
    }
}

#[derive(Serialize)]
struct ItemArgs<'a> {
    id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListArgs<'a> {
    albums: Option<&'a [String]>,
    page_size: usize,
    on_page: Channel<serde_json::Value>,
}

#[derive(Deserialize)]
struct ListReply {
    /// Items sent over the channel in all.
    count: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReadArgs<'a> {
    id: &'a str,
    min_short_side: Option<u32>,
}

/// A photo handed over: a file descriptor to read (and close), or a file to read (and
/// delete when `temporary`).
#[derive(Deserialize)]
struct ReadReply {
    fd: Option<i32>,
    path: Option<PathBuf>,
    #[serde(default)]
    temporary: bool,
}

/// The plugin's native side rejects a read with one of these codes when it is not an
/// ordinary I/O failure.
fn library_error(error: PluginInvokeError) -> LibraryError {
    match &error {
        PluginInvokeError::InvokeRejected(response) => match response.code.as_deref() {
            Some("notPermitted") => LibraryError::NotPermitted,
            Some("notOnDevice") => LibraryError::NotOnDevice,
            Some("gone") => LibraryError::Gone,
            Some("denied") => LibraryError::Denied(response.message.clone().unwrap_or_default()),
            _ => LibraryError::Read(error.to_string()),
        },
        _ => LibraryError::Read(error.to_string()),
    }
}

struct MobileLibrary<R: Runtime>(PluginHandle<R>);

impl<R: Runtime> motis_engine::PhotoLibrary for MobileLibrary<R> {
    fn name(&self) -> &str {
        LIBRARY_NAME
    }

    fn list(
        &self,
        albums: Option<&[String]>,
        page: &mut dyn FnMut(Vec<LibraryItem>),
    ) -> std::result::Result<(), LibraryError> {
        // Pages arrive on the platform's thread while it lists; they are handed to `page`
        // here, in order, once it has answered with their count.
        let (sender, pages) = pages();
        let on_page = Channel::new(move |body: InvokeResponseBody| {
            sender.send(body.deserialize::<Page>().map_err(tauri::Error::from)?.into_items());
            Ok(())
        });
        let args = ListArgs {
            albums,
            page_size: 500,
            on_page,
        };
        let reply: ListReply =
            self.0
                .run_mobile_plugin("listPhotos", args)
                .map_err(|error| match library_error(error) {
                    LibraryError::Read(cause) => LibraryError::List(cause),
                    other => other,
                })?;
        pages.deliver(reply.count, Duration::from_secs(30), page)
    }

    fn albums(&self) -> std::result::Result<Vec<Album>, LibraryError> {
        self.0
            .run_mobile_plugin::<AlbumsReply>("listAlbums", ())
            .map(AlbumsReply::into_albums)
            .map_err(|error| LibraryError::List(error.to_string()))
    }

    fn read(&self, item: &str, min_short_side: Option<u32>) -> std::result::Result<Vec<u8>, LibraryError> {
        let reply: ReadReply = self
            .0
            .run_mobile_plugin(
                "readPhoto",
                ReadArgs {
                    id: item,
                    min_short_side,
                },
            )
            .map_err(library_error)?;
        let mut bytes = Vec::new();
        let read = |e: std::io::Error| LibraryError::Read(e.to_string());
        match (reply.fd, reply.path) {
            (Some(fd), _) => {
                use std::os::fd::FromRawFd;
                // The descriptor was detached for us on the Kotlin side: this file owns
                // it now and closes it when dropped.
                let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
                file.read_to_end(&mut bytes).map_err(read)?;
            }
            (None, Some(path)) => {
                let outcome = std::fs::read(&path);
                if reply.temporary {
                    let _ = std::fs::remove_file(&path);
                }
                bytes = outcome.map_err(read)?;
            }
            (None, None) => return Err(LibraryError::Read("the platform handed over nothing".into())),
        }
        Ok(bytes)
    }
}

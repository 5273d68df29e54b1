//! motis's photo sources as a Tauri plugin: on desktops, folders the person picks in the
//! system dialog; on phones, the system photo library (MediaStore on Android, PhotoKit on
//! iOS) behind its permission, which may cover every photo or only those the person chose.
//!
//! One API on every platform ([`PhotoLibrary`], reached through [`PhotoLibraryExt`]), one
//! file per side: `desktop.rs`, and `mobile.rs` with the Kotlin (`android/`) and Swift
//! (`ios/`) code it calls. On phones the library is handed to the engine as a
//! [`motis_engine::PhotoLibrary`]: listings stream to Rust in pages over a `Channel`, and
//! photos are read as file descriptors (Android) or files the platform wrote (iOS), in a
//! format the engine decodes (the platform converts HEIC).
//!
//! On desktops the app registers `tauri-plugin-dialog` beside this plugin (its folder picker).
//!
//! On phones it also reports the device's power (battery, charger, heat), with the rule
//! for when indexing may go on (`power.rs`): it is the app's one piece of native code there.
//!
//! Not here: the catalog, previews and encoding (motis-engine), or which photo the page
//! may see (the app names photos by catalog id; this plugin never gives the page a photo).

use serde::{Deserialize, Serialize};
use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Manager, Runtime};

mod commands;
#[cfg(desktop)]
mod desktop;
#[cfg(mobile)]
mod mobile;
// The phones' listing hand-over, built on desktops too so that its tests run here.
#[cfg_attr(desktop, allow(dead_code))]
mod pages;
mod power;

#[cfg(desktop)]
pub use desktop::PhotoLibrary;
#[cfg(mobile)]
pub use mobile::PhotoLibrary;
pub use power::{PowerState, Thermal};

/// The name the phone's library has in the catalog, and the first part of its photos'
/// labels ("Photo library/IMG_0001.HEIC").
pub const LIBRARY_NAME: &str = "Photo library";

/// What motis may read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Access {
    /// A desktop: photos come from folders the person picks; no permission applies.
    Folders,
    /// Every photo of the library.
    Full,
    /// Only the photos the person selected (iOS limited access, Android 14's partial access).
    Limited,
    /// Refused, or restricted by the device's owner: only the system settings change it.
    Denied,
    /// Not asked yet.
    NotDetermined,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0} is not available on this platform")]
    Unsupported(&'static str),
    #[error(transparent)]
    Tauri(#[from] tauri::Error),
    #[cfg(mobile)]
    #[error("the photo library answered: {0}")]
    Platform(#[from] tauri::plugin::mobile::PluginInvokeError),
}

impl Serialize for Error {
    /// As every motis command fails: `{code, message}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut error = serializer.serialize_struct("Error", 2)?;
        error.serialize_field("code", "failed")?;
        error.serialize_field("message", &self.to_string())?;
        error.end()
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// `app.photo_library()` on an `App`, `AppHandle` or `Window`.
pub trait PhotoLibraryExt<R: Runtime> {
    fn photo_library(&self) -> &PhotoLibrary<R>;
}

impl<R: Runtime, T: Manager<R>> PhotoLibraryExt<R> for T {
    fn photo_library(&self) -> &PhotoLibrary<R> {
        self.state::<PhotoLibrary<R>>().inner()
    }
}

pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("photo-library")
        .invoke_handler(tauri::generate_handler![
            commands::access,
            commands::request_access,
            commands::widen_selection,
            commands::list_albums,
        ])
        .setup(|app, api| {
            #[cfg(desktop)]
            let library = desktop::init(app, api)?;
            #[cfg(mobile)]
            let library = mobile::init(app, api)?;
            app.manage(library);
            Ok(())
        })
        .build()
}

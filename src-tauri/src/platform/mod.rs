//! What the app does differently on desktops and phones, one file each: where its data
//! folder is, where photos come from (the photo-library plugin's own desktop and mobile
//! sides do the rest), how the webview is set up, what happens when the app leaves the
//! screen, and when indexing may run (a phone's battery and heat).

#[cfg_attr(desktop, path = "desktop.rs")]
#[cfg_attr(mobile, path = "mobile.rs")]
mod current;

pub use current::{
    PHOTO_SOURCES, PLATFORM, before_webview, bundled_models, default_data_dir, indexing_condition, on_window_event,
};

use std::path::{Path, PathBuf};

/// The model the app opens, which the bundle ships.
pub const DEMO_MODEL: &str = "motis-demo";

/// `folder` when it holds the shipped models.
fn models_in(folder: &Path) -> Option<PathBuf> {
    folder
        .join(DEMO_MODEL)
        .join("manifest.json")
        .is_file()
        .then(|| folder.to_owned())
}

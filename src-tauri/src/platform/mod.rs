//! What the app does differently on desktops and phones, one file each: where its data
//! folder is, where photos come from (the photo-library plugin's own desktop and mobile
//! sides do the rest), and what happens when the app leaves the screen.

#[cfg_attr(desktop, path = "desktop.rs")]
#[cfg_attr(mobile, path = "mobile.rs")]
mod current;

pub use current::{PHOTO_SOURCES, PLATFORM, default_data_dir, on_window_event};

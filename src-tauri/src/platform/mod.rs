//! What the app does differently on desktops and phones, one file each: where its data
//! folder is, and how a folder of photos is chosen.

#[cfg_attr(desktop, path = "desktop.rs")]
#[cfg_attr(mobile, path = "mobile.rs")]
mod current;

pub use current::{default_data_dir, pick_folder};

//! The motis desktop app: a thin Tauri shell over motis-engine. Commands call the
//! engine; indexing progress streams to the page over a `Channel` as the engine's own
//! events; photos reach the page through the `photo:` protocol by catalog id only.
//!
//! Not here: anything the engine does (scanning, encoding, search) or the page shows.

mod commands;
mod models;
mod platform;
mod protocol;
mod state;

use std::path::PathBuf;

use tauri::Manager;

use crate::state::{AppState, Launch};

/// `--data-dir DIR` and `--add-folder DIR` (repeatable), also as `MOTIS_DATA_DIR` and
/// `MOTIS_ADD_FOLDER` (folders separated by the OS path separator): so that the app can
/// be opened on a given gallery, by a person or a test.
fn launch_options() -> Launch {
    let mut launch = Launch {
        data_dir: std::env::var_os("MOTIS_DATA_DIR").map(PathBuf::from),
        add_folders: std::env::var_os("MOTIS_ADD_FOLDER")
            .map(|v| std::env::split_paths(&v).collect())
            .unwrap_or_default(),
    };
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--data-dir") => launch.data_dir = args.next().map(PathBuf::from),
            Some("--add-folder") => launch.add_folders.extend(args.next().map(PathBuf::from)),
            _ => {}
        }
    }
    launch
}

#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    motis_engine::use_one_allocator_arena();
    platform::before_webview();
    let launch = launch_options();
    let builder = tauri::Builder::default();
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_dialog::init());
    // The page is granted none of its commands (capabilities/): the app reads the shipped
    // model out of the APK with it.
    #[cfg(target_os = "android")]
    let builder = builder.plugin(tauri_plugin_fs::init());
    builder
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_photo_library::init())
        .register_asynchronous_uri_scheme_protocol("photo", protocol::serve)
        .setup(move |app| {
            let state = AppState::new(app.handle(), launch)?;
            app.manage(state);
            Ok(())
        })
        .on_window_event(platform::on_window_event)
        .invoke_handler(tauri::generate_handler![
            commands::app_status,
            commands::list_sources,
            commands::add_folder,
            commands::add_photo_library,
            commands::add_demo_gallery,
            commands::remove_source,
            commands::start_indexing,
            commands::cancel_indexing,
            commands::list_failures,
            commands::search,
            commands::gallery,
            commands::photo_folders,
            commands::photo_details,
            commands::open_photo,
            commands::show_in_folder,
            commands::share_photo,
            commands::power_state,
            commands::get_settings,
            commands::set_settings,
            models::list_models,
            models::download_model,
            models::cancel_download,
            models::discard_download,
            models::use_model,
            models::switch_now,
        ])
        .run(tauri::generate_context!())
        .expect("the Tauri application failed to start");
}

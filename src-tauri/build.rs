/// The commands the page may call; each needs a permission in capabilities/, so a
/// command added here is unreachable until a capability grants it.
const COMMANDS: &[&str] = &[
    "app_status",
    "list_sources",
    "add_folder",
    "add_photo_library",
    "add_demo_gallery",
    "remove_source",
    "start_indexing",
    "cancel_indexing",
    "list_failures",
    "search",
    "gallery",
    "photo_folders",
    "photo_details",
    "open_photo",
    "show_in_folder",
    "share_photo",
    "power_state",
    "get_settings",
    "set_settings",
    "list_models",
    "download_model",
    "cancel_download",
    "discard_download",
    "use_model",
    "switch_now",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri build step failed");
}

// swift-tools-version:5.3
// The iOS side of motis's photo-library plugin, a Swift package that `tauri ios build`
// links into the app (tauri-plugin's build step copies Tauri's own iOS API to
// ../.tauri/tauri-api first; the product is named as the crate). Not built on motis's
// CI machine: it has no Xcode (see DEVELOPMENT.md).

import PackageDescription

let package = Package(
  name: "tauri-plugin-photo-library",
  platforms: [
    // ONNX Runtime's minimum, and the app's (tauri.conf.json).
    .iOS("15.1")
  ],
  products: [
    .library(
      name: "tauri-plugin-photo-library",
      type: .static,
      targets: ["tauri-plugin-photo-library"])
  ],
  dependencies: [
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(
      name: "tauri-plugin-photo-library",
      dependencies: [
        .byName(name: "Tauri")
      ],
      path: "Sources")
  ]
)

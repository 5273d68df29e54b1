// motis's photo library on iOS: PhotoKit, with full or limited access (and the system's
// picker to widen a limited selection), assets listed in pages over a Channel, photos
// handed over as files in the app's cache: the original data (HEIC converted to JPEG by
// ImageIO) or, when the Rust side asks for a reduced size, a JPEG rendition from
// PHImageManager. Photos only in iCloud are reported as such: motis never downloads them.
//
// Not compiled on motis's CI machine (no Xcode): see DEVELOPMENT.md, "Phones".

import ImageIO
import Photos
import SwiftRs
import Tauri
import UIKit
import UniformTypeIdentifiers
import WebKit

class ListArgs: Decodable {
  let albums: [String]?
  let pageSize: Int?
  let onPage: Channel
}

class ReadArgs: Decodable {
  let id: String
  let minShortSide: Int?
}

class ItemArgs: Decodable {
  let id: String
}

/// The Rust side's names for what motis may read.
func accessName(_ status: PHAuthorizationStatus) -> String {
  switch status {
  case .authorized: return "full"
  case .limited: return "limited"
  case .denied, .restricted: return "denied"
  case .notDetermined: return "notDetermined"
  @unknown default: return "denied"
  }
}

class PhotoLibraryPlugin: Plugin {
  // Tauri runs every command of a plugin on one serial queue: reads and listings go on
  // this one, so that `access` and `listAlbums` never wait behind a HEIC conversion.
  let work = DispatchQueue(label: "motis.photo-library", qos: .userInitiated, attributes: .concurrent)

  func currentAccess() -> [String: String] {
    return ["access": accessName(PHPhotoLibrary.authorizationStatus(for: .readWrite))]
  }

  @objc public func access(_ invoke: Invoke) {
    invoke.resolve(currentAccess())
  }

  @objc public func requestAccess(_ invoke: Invoke) {
    PHPhotoLibrary.requestAuthorization(for: .readWrite) { status in
      invoke.resolve(["access": accessName(status)])
    }
  }

  /// Limited access: the system's picker, where the person chooses more photos for motis.
  @objc public func widenSelection(_ invoke: Invoke) {
    // The picker calls back only for limited access; with any other, there is nothing to widen.
    guard PHPhotoLibrary.authorizationStatus(for: .readWrite) == .limited else {
      invoke.resolve(currentAccess())
      return
    }
    DispatchQueue.main.async {
      guard let controller = self.manager.viewController else {
        invoke.reject("the app has no window to show the picker in")
        return
      }
      PHPhotoLibrary.shared().presentLimitedLibraryPicker(from: controller) { _ in
        invoke.resolve(self.currentAccess())
      }
    }
  }

  @objc public func listAlbums(_ invoke: Invoke) {
    work.async {
      var albums: [[String: Any]] = []
      let images = PHFetchOptions()
      images.predicate = NSPredicate(format: "mediaType == %d", PHAssetMediaType.image.rawValue)
      for type in [PHAssetCollectionType.smartAlbum, PHAssetCollectionType.album] {
        PHAssetCollection.fetchAssetCollections(with: type, subtype: .any, options: nil)
          .enumerateObjects { collection, _, _ in
            let count = PHAsset.fetchAssets(in: collection, options: images).count
            if count > 0 {
              albums.append([
                "id": collection.localIdentifier,
                "name": collection.localizedTitle ?? "",
                "count": count,
              ])
            }
          }
      }
      invoke.resolve(["albums": albums])
    }
  }

  @objc public func listPhotos(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(ListArgs.self)
    let pageSize = max(1, args.pageSize ?? 500)
    work.async {
      let options = PHFetchOptions()
      options.predicate = NSPredicate(format: "mediaType == %d", PHAssetMediaType.image.rawValue)
      var fetches: [PHFetchResult<PHAsset>] = []
      if let albums = args.albums {
        PHAssetCollection.fetchAssetCollections(withLocalIdentifiers: albums, options: nil)
          .enumerateObjects { collection, _, _ in
            fetches.append(PHAsset.fetchAssets(in: collection, options: options))
          }
      } else {
        fetches.append(PHAsset.fetchAssets(with: options))
      }
      var seen = Set<String>()
      var page: [[String: Any]] = []
      for fetch in fetches {
        fetch.enumerateObjects { asset, _, _ in
          // A photo in two chosen albums is one photo.
          if !seen.insert(asset.localIdentifier).inserted { return }
          let modified = asset.modificationDate ?? asset.creationDate ?? Date(timeIntervalSince1970: 0)
          let resource = PHAssetResource.assetResources(for: asset).first
          var item: [String: Any] = [
            "id": asset.localIdentifier,
            "name": resource?.originalFilename ?? asset.localIdentifier,
            "modifiedMs": Int64(modified.timeIntervalSince1970 * 1000),
          ]
          // PhotoKit has albums, not folders: only the capture date.
          if let created = asset.creationDate {
            item["takenMs"] = Int64(created.timeIntervalSince1970 * 1000)
          }
          page.append(item)
          if page.count == pageSize {
            args.onPage.send(["items": page])
            page = []
          }
        }
      }
      if !page.isEmpty {
        args.onPage.send(["items": page])
      }
      invoke.resolve(["count": seen.count])
    }
  }

  @objc public func readPhoto(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(ReadArgs.self)
    work.async {
      guard let asset = PHAsset.fetchAssets(withLocalIdentifiers: [args.id], options: nil).firstObject else {
        // Deleted, or no longer among the photos a limited access covers.
        let status = PHPhotoLibrary.authorizationStatus(for: .readWrite)
        invoke.reject("not in the photo library", code: status == .limited ? "notPermitted" : "gone")
        return
      }
      if let side = args.minShortSide {
        self.readRendition(asset, shortSide: side, invoke)
      } else {
        self.readOriginal(asset, invoke)
      }
    }
  }

  /// A JPEG whose shorter side is at least `shortSide`, from the photo on the device.
  func readRendition(_ asset: PHAsset, shortSide: Int, _ invoke: Invoke) {
    let short = Double(min(asset.pixelWidth, asset.pixelHeight))
    let scale = short > 0 ? min(1.0, Double(shortSide) / short) : 1.0
    let target = CGSize(
      width: (Double(asset.pixelWidth) * scale).rounded(.up),
      height: (Double(asset.pixelHeight) * scale).rounded(.up))
    let options = PHImageRequestOptions()
    options.isNetworkAccessAllowed = false
    options.deliveryMode = .highQualityFormat
    options.resizeMode = .exact
    options.isSynchronous = true
    PHImageManager.default().requestImage(
      for: asset, targetSize: target, contentMode: .aspectFill, options: options
    ) { image, info in
      if let image = image, let jpeg = image.jpegData(compressionQuality: 0.92) {
        self.resolveFile(jpeg, invoke)
      } else {
        self.rejectMissing(info, invoke)
      }
    }
  }

  /// The photo's own data; HEIC and other formats motis cannot decode become JPEG.
  func readOriginal(_ asset: PHAsset, _ invoke: Invoke) {
    let options = PHImageRequestOptions()
    options.isNetworkAccessAllowed = false
    options.deliveryMode = .highQualityFormat
    options.version = .current
    options.isSynchronous = true
    PHImageManager.default().requestImageDataAndOrientation(for: asset, options: options) {
      data, type, _, info in
      guard let data = data else {
        self.rejectMissing(info, invoke)
        return
      }
      let readable: Set<String> = [UTType.jpeg.identifier, UTType.png.identifier, UTType.gif.identifier]
      if let type = type, readable.contains(type) {
        self.resolveFile(data, invoke)
      } else if let jpeg = self.jpeg(from: data) {
        self.resolveFile(jpeg, invoke)
      } else {
        invoke.reject("cannot convert this photo (\(type ?? "unknown type")) to JPEG")
      }
    }
  }

  /// ImageIO's conversion, keeping the orientation and other metadata.
  func jpeg(from data: Data) -> Data? {
    guard let source = CGImageSourceCreateWithData(data as CFData, nil) else { return nil }
    let output = NSMutableData()
    guard
      let destination = CGImageDestinationCreateWithData(
        output, UTType.jpeg.identifier as CFString, 1, nil)
    else { return nil }
    let options = [kCGImageDestinationLossyCompressionQuality: 0.92] as CFDictionary
    CGImageDestinationAddImageFromSource(destination, source, 0, options)
    return CGImageDestinationFinalize(destination) ? output as Data : nil
  }

  func resolveFile(_ data: Data, _ invoke: Invoke) {
    let file = FileManager.default.temporaryDirectory
      .appendingPathComponent("motis-\(UUID().uuidString).jpg")
    do {
      try data.write(to: file)
      invoke.resolve(["path": file.path, "temporary": true])
    } catch {
      invoke.reject("cannot write \(file.path): \(error.localizedDescription)")
    }
  }

  func rejectMissing(_ info: [AnyHashable: Any]?, _ invoke: Invoke) {
    if (info?[PHImageResultIsInCloudKey] as? Bool) == true {
      invoke.reject("only in iCloud", code: "notOnDevice")
    } else if let error = info?[PHImageErrorKey] as? Error {
      invoke.reject(error.localizedDescription)
    } else {
      invoke.reject("the photo library handed over nothing")
    }
  }

  /// The battery's level and charge (UIDevice, read on the main thread) and the device's
  /// heat (ProcessInfo), named as the Rust side names them; what iOS does not say is left
  /// out (the simulator reports no battery).
  @objc public func powerState(_ invoke: Invoke) {
    DispatchQueue.main.async {
      let device = UIDevice.current
      device.isBatteryMonitoringEnabled = true
      var reply: [String: Any] = [:]
      if device.batteryLevel >= 0 {
        reply["batteryPercent"] = Int((device.batteryLevel * 100).rounded())
      }
      switch device.batteryState {
      case .charging, .full: reply["charging"] = true
      case .unplugged: reply["charging"] = false
      default: break
      }
      switch ProcessInfo.processInfo.thermalState {
      case .nominal: reply["thermal"] = "nominal"
      case .fair: reply["thermal"] = "fair"
      case .serious: reply["thermal"] = "serious"
      case .critical: reply["thermal"] = "critical"
      @unknown default: reply["thermal"] = "critical"
      }
      invoke.resolve(reply)
    }
  }

  @objc public func sharePhoto(_ invoke: Invoke) throws {
    let args = try invoke.parseArgs(ItemArgs.self)
    guard let asset = PHAsset.fetchAssets(withLocalIdentifiers: [args.id], options: nil).firstObject else {
      invoke.reject("not in the photo library", code: "gone")
      return
    }
    let options = PHImageRequestOptions()
    options.isNetworkAccessAllowed = true
    options.version = .current
    PHImageManager.default().requestImageDataAndOrientation(for: asset, options: options) {
      data, _, _, info in
      guard let data = data, let image = UIImage(data: data) else {
        self.rejectMissing(info, invoke)
        return
      }
      DispatchQueue.main.async {
        guard let controller = self.manager.viewController else {
          invoke.reject("the app has no window to share from")
          return
        }
        let sheet = UIActivityViewController(activityItems: [image], applicationActivities: nil)
        // iPad: the sheet is a popover, anchored in the middle of the screen.
        sheet.popoverPresentationController?.sourceView = controller.view
        sheet.popoverPresentationController?.sourceRect = CGRect(
          x: controller.view.bounds.midX, y: controller.view.bounds.midY, width: 0, height: 0)
        controller.present(sheet, animated: true)
        invoke.resolve()
      }
    }
  }
}

// Public: with whole-module optimisation an internal function becomes a local symbol, and
// the Rust side's reference to it would not link.
@_cdecl("init_plugin_photo_library")
public func initPlugin() -> Plugin {
  return PhotoLibraryPlugin()
}

// motis's photo library on Android: MediaStore.Images behind READ_MEDIA_IMAGES (Android
// 13+), with partial access through READ_MEDIA_VISUAL_USER_SELECTED (14+), and
// READ_EXTERNAL_STORAGE below 13. Listings stream to Rust in pages over a Channel;
// photos are handed over as file descriptors opened on their content:// URIs, or, for
// formats the engine does not decode on phones (HEIC, AVIF, DNG) and for reduced
// renditions, as a JPEG the platform decoder wrote to the cache.
//
// Compiled on motis's CI machine against stand-ins for the Android SDK (no SDK can be had
// there; tests/native/kotlin.mjs), not built: see DEVELOPMENT.md, "Phones".

package app.motis.photolibrary

import android.Manifest
import android.app.Activity
import android.content.ContentUris
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.content.pm.PackageManager
import android.graphics.Bitmap
import android.graphics.ImageDecoder
import android.net.Uri
import android.os.BatteryManager
import android.os.Build
import android.os.PowerManager
import android.provider.MediaStore
import androidx.core.content.ContextCompat
import app.tauri.annotation.Command
import app.tauri.annotation.InvokeArg
import app.tauri.annotation.Permission
import app.tauri.annotation.PermissionCallback
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Channel
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSArray
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import java.io.File
import java.io.FileNotFoundException
import kotlin.concurrent.thread

@InvokeArg
class ListArgs {
    var albums: Array<String>? = null
    var pageSize: Int = 500
    lateinit var onPage: Channel
}

@InvokeArg
class ReadArgs {
    lateinit var id: String
    var minShortSide: Int? = null
}

@InvokeArg
class ItemArgs {
    lateinit var id: String
}

// Two aliases, one per Android generation: Tauri rejects a whole request when one of its
// permissions is not declared for the running version, and the manifest declares
// READ_EXTERNAL_STORAGE only up to API 32.
private const val PHOTOS = "photos"
private const val STORAGE = "storage"

/** What motis's engine decodes itself on a phone; anything else (HEIC, AVIF, DNG, …) the
 * platform decodes to a JPEG first. */
private val ENGINE_READS = setOf("image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp")

@TauriPlugin(
    permissions = [
        Permission(
            strings = [
                Manifest.permission.READ_MEDIA_IMAGES,
                Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED
            ],
            alias = PHOTOS
        ),
        Permission(strings = [Manifest.permission.READ_EXTERNAL_STORAGE], alias = STORAGE)
    ]
)
class PhotoLibraryPlugin(private val activity: Activity) : Plugin(activity) {
    private val images: Uri = MediaStore.Images.Media.EXTERNAL_CONTENT_URI

    private fun granted(permission: String): Boolean =
        ContextCompat.checkSelfPermission(activity, permission) == PackageManager.PERMISSION_GRANTED

    /** "full", "limited", "denied" or "notDetermined", as the Rust side names them. */
    private fun access(): String {
        val full = if (Build.VERSION.SDK_INT >= 33) {
            granted(Manifest.permission.READ_MEDIA_IMAGES)
        } else {
            granted(Manifest.permission.READ_EXTERNAL_STORAGE)
        }
        if (full) return "full"
        if (Build.VERSION.SDK_INT >= 34 && granted(Manifest.permission.READ_MEDIA_VISUAL_USER_SELECTED)) {
            return "limited"
        }
        // Android does not tell "never asked" from "refused" before asking; after a refusal
        // it offers the rationale, and after two it no longer shows the prompt.
        val asked = activity.getSharedPreferences("motis-photo-library", 0).getBoolean("asked", false)
        return if (asked) "denied" else "notDetermined"
    }

    private fun accessReply(): JSObject = JSObject().put("access", access())

    /** The alias to ask for on this device's Android version. */
    private fun photosAlias(): String = if (Build.VERSION.SDK_INT >= 33) PHOTOS else STORAGE

    @Command
    fun access(invoke: Invoke) {
        invoke.resolve(accessReply())
    }

    @Command
    fun requestAccess(invoke: Invoke) {
        if (access() == "full" || access() == "limited") {
            invoke.resolve(accessReply())
            return
        }
        activity.getSharedPreferences("motis-photo-library", 0).edit().putBoolean("asked", true).apply()
        requestPermissionForAlias(photosAlias(), invoke, "accessAnswered")
    }

    /** On Android 14+, asking again lets the person change which photos motis sees. */
    @Command
    fun widenSelection(invoke: Invoke) {
        requestPermissionForAlias(photosAlias(), invoke, "accessAnswered")
    }

    @PermissionCallback
    private fun accessAnswered(invoke: Invoke) {
        invoke.resolve(accessReply())
    }

    @Command
    fun listAlbums(invoke: Invoke) {
        thread {
            try {
                val names = HashMap<String, String>()
                val counts = HashMap<String, Int>()
                val projection = arrayOf(
                    MediaStore.Images.Media.BUCKET_ID,
                    MediaStore.Images.Media.BUCKET_DISPLAY_NAME
                )
                activity.contentResolver.query(images, projection, null, null, null)?.use { cursor ->
                    while (cursor.moveToNext()) {
                        val id = cursor.getString(0) ?: continue
                        names[id] = cursor.getString(1) ?: id
                        counts[id] = (counts[id] ?: 0) + 1
                    }
                }
                val albums = JSArray()
                for ((id, name) in names.entries.sortedBy { it.value.lowercase() }) {
                    albums.put(JSObject().put("id", id).put("name", name).put("count", counts[id] ?: 0))
                }
                invoke.resolve(JSObject().put("albums", albums))
            } catch (error: SecurityException) {
                invoke.reject(error.message ?: "not allowed", "denied")
            } catch (error: Exception) {
                // Uncaught on this thread, it would end the app.
                invoke.reject(error.message ?: error.toString())
            }
        }
    }

    @Command
    fun listPhotos(invoke: Invoke) {
        val args = invoke.parseArgs(ListArgs::class.java)
        thread {
            try {
                val projection = arrayOf(
                    MediaStore.Images.Media._ID,
                    MediaStore.Images.Media.DISPLAY_NAME,
                    MediaStore.Images.Media.DATE_MODIFIED,
                    MediaStore.Images.Media.SIZE,
                    MediaStore.Images.Media.DATE_TAKEN,
                    MediaStore.Images.Media.BUCKET_DISPLAY_NAME
                )
                val albums = args.albums
                val selection = albums?.let { chosen ->
                    "${MediaStore.Images.Media.BUCKET_ID} IN (${chosen.joinToString(",") { "?" }})"
                }
                var count = 0
                var page = JSArray()
                var inPage = 0
                activity.contentResolver
                    .query(images, projection, selection, albums, "${MediaStore.Images.Media._ID} ASC")
                    ?.use { cursor ->
                        while (cursor.moveToNext()) {
                            val item = JSObject()
                                .put("id", cursor.getLong(0).toString())
                                .put("name", cursor.getString(1) ?: "")
                                // DATE_MODIFIED is in seconds.
                                .put("modifiedMs", cursor.getLong(2) * 1000)
                                .put("size", cursor.getLong(3))
                            // DATE_TAKEN is in milliseconds, and missing for photos that
                            // came without a capture date (saved from the web, say).
                            if (!cursor.isNull(4) && cursor.getLong(4) > 0) item.put("takenMs", cursor.getLong(4))
                            cursor.getString(5)?.let { item.put("folder", it) }
                            page.put(item)
                            inPage += 1
                            count += 1
                            if (inPage == args.pageSize) {
                                args.onPage.send(JSObject().put("items", page))
                                page = JSArray()
                                inPage = 0
                            }
                        }
                    }
                if (inPage > 0) args.onPage.send(JSObject().put("items", page))
                invoke.resolve(JSObject().put("count", count))
            } catch (error: SecurityException) {
                invoke.reject(error.message ?: "not allowed", "denied")
            } catch (error: Exception) {
                invoke.reject(error.message ?: error.toString())
            }
        }
    }

    @Command
    fun readPhoto(invoke: Invoke) {
        val args = invoke.parseArgs(ReadArgs::class.java)
        thread {
            try {
                val uri = ContentUris.withAppendedId(images, args.id.toLong())
                val type = activity.contentResolver.getType(uri) ?: ""
                val side = args.minShortSide
                if (type !in ENGINE_READS || (side != null && Build.VERSION.SDK_INT >= 28)) {
                    invoke.resolve(decoded(uri, side))
                } else {
                    // The original, untouched: the engine decodes JPEG, PNG, WebP and more,
                    // with its own fast reduced decoding.
                    val descriptor = activity.contentResolver.openFileDescriptor(uri, "r")
                        ?: throw FileNotFoundException(uri.toString())
                    invoke.resolve(JSObject().put("fd", descriptor.detachFd()))
                }
            } catch (error: SecurityException) {
                invoke.reject(error.message ?: "not allowed", "notPermitted")
            } catch (error: FileNotFoundException) {
                invoke.reject(error.message ?: "gone", "gone")
            } catch (error: OutOfMemoryError) {
                // A photo too large to decode in this app's heap is that photo's failure.
                invoke.reject("too large to decode on this phone")
            } catch (error: Exception) {
                // Uncaught on this thread, it would end the app (a bad id included).
                invoke.reject(error.message ?: error.toString())
            }
        }
    }

    /** The photo decoded by the platform (HEIC, AVIF, DNG included, EXIF orientation applied), its
     * shorter side scaled down to `side` when given, as a JPEG in the cache that the Rust
     * side reads and deletes. */
    private fun decoded(uri: Uri, side: Int?): JSObject {
        if (Build.VERSION.SDK_INT < 28) {
            throw UnsupportedOperationException("this format needs Android 9 or later")
        }
        val source = ImageDecoder.createSource(activity.contentResolver, uri)
        val bitmap = ImageDecoder.decodeBitmap(source) { decoder, info, _ ->
            val short = minOf(info.size.width, info.size.height)
            if (side != null && short > side) {
                val scale = side.toDouble() / short
                decoder.setTargetSize(
                    maxOf(1, Math.round(info.size.width * scale).toInt()),
                    maxOf(1, Math.round(info.size.height * scale).toInt())
                )
            }
            decoder.allocator = ImageDecoder.ALLOCATOR_SOFTWARE
        }
        val file = File.createTempFile("motis-", ".jpg", activity.cacheDir)
        file.outputStream().use { out -> bitmap.compress(Bitmap.CompressFormat.JPEG, 92, out) }
        bitmap.recycle()
        return JSObject().put("path", file.absolutePath).put("temporary", true)
    }

    /** The battery's level, charge and temperature (the last battery broadcast, which
     * Android keeps) and, on Android 10+, the device's heat, named as the Rust side names
     * them; what Android does not say is left out. */
    @Command
    fun powerState(invoke: Invoke) {
        val reply = JSObject()
        activity.registerReceiver(null, IntentFilter(Intent.ACTION_BATTERY_CHANGED))?.let { battery ->
            val level = battery.getIntExtra(BatteryManager.EXTRA_LEVEL, -1)
            val scale = battery.getIntExtra(BatteryManager.EXTRA_SCALE, -1)
            if (level >= 0 && scale > 0) reply.put("batteryPercent", level * 100 / scale)
            when (battery.getIntExtra(BatteryManager.EXTRA_STATUS, -1)) {
                BatteryManager.BATTERY_STATUS_CHARGING, BatteryManager.BATTERY_STATUS_FULL -> reply.put("charging", true)
                BatteryManager.BATTERY_STATUS_DISCHARGING, BatteryManager.BATTERY_STATUS_NOT_CHARGING -> reply.put("charging", false)
            }
            // Tenths of a degree Celsius.
            val tenths = battery.getIntExtra(BatteryManager.EXTRA_TEMPERATURE, Int.MIN_VALUE)
            if (tenths != Int.MIN_VALUE) reply.put("batteryCelsius", tenths / 10.0)
        }
        if (Build.VERSION.SDK_INT >= 29) {
            val power = activity.getSystemService(Context.POWER_SERVICE) as PowerManager
            val thermal = when (power.currentThermalStatus) {
                PowerManager.THERMAL_STATUS_NONE, PowerManager.THERMAL_STATUS_LIGHT -> "nominal"
                PowerManager.THERMAL_STATUS_MODERATE -> "fair"
                PowerManager.THERMAL_STATUS_SEVERE -> "serious"
                else -> "critical"
            }
            reply.put("thermal", thermal)
        }
        invoke.resolve(reply)
    }

    @Command
    fun sharePhoto(invoke: Invoke) {
        val args = invoke.parseArgs(ItemArgs::class.java)
        val id = args.id.toLongOrNull()
        if (id == null) {
            invoke.reject("not a photo of this library: ${args.id}", "gone")
            return
        }
        val uri = ContentUris.withAppendedId(images, id)
        val send = Intent(Intent.ACTION_SEND).apply {
            type = activity.contentResolver.getType(uri) ?: "image/*"
            putExtra(Intent.EXTRA_STREAM, uri)
            addFlags(Intent.FLAG_GRANT_READ_URI_PERMISSION)
        }
        activity.runOnUiThread {
            activity.startActivity(Intent.createChooser(send, null))
            invoke.resolve()
        }
    }
}

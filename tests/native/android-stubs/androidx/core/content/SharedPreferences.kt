// A stand-in for core-ktx's extension of this name (androidx.core:core-ktx), written from
// its reference: the signature only, for tests/native/kotlin.mjs to type-check against.
package androidx.core.content

import android.content.SharedPreferences

inline fun SharedPreferences.edit(commit: Boolean = false, action: SharedPreferences.Editor.() -> Unit) {
  val editor = edit()
  action(editor)
  if (commit) editor.commit() else editor.apply()
}

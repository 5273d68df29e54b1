// The Android side of motis's photo-library plugin: an Android library that `tauri
// android build` compiles into the app (tauri-plugin's build step copies Tauri's own
// Android API to .tauri/tauri-api first). Not built on motis's CI machine: it has no
// Android SDK (see DEVELOPMENT.md).
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "app.motis.photolibrary"
    compileSdk = 35

    defaultConfig {
        // ONNX Runtime's minimum, and the app's (tauri.conf.json).
        minSdk = 24
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_1_8
        targetCompatibility = JavaVersion.VERSION_1_8
    }
}

// `kotlinOptions` is an error from the Kotlin Gradle plugin 2.3 on.
kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_1_8)
    }
}

dependencies {
    implementation("androidx.core:core-ktx:1.13.1")
    implementation("androidx.exifinterface:exifinterface:1.3.7")
    implementation(project(":tauri-android"))
}

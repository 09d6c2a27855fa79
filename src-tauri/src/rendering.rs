//! How the web view paints. WebKitGTK composites the page with OpenGL by default; on a
//! machine without a GPU (a virtual machine, a remote desktop, Xvfb) that OpenGL is Mesa's
//! llvmpipe, which redraws the whole window on the CPU for every frame in which the page
//! changed. The overview changes up to ten times a second, so at 300 services the web
//! process spent 85 % of a core in llvmpipe's threads, against about 10 % painting only
//! what changed without compositing (BENCHMARKS.md, "A thousand services"). The page is
//! text and small drawings, so the window paints without compositing unless
//! `SWITCHYARD_GPU_COMPOSITING=1` asks for it (docs/configuration.md, "Environment").

use tauri::{AppHandle, Manager};

/// The environment variable that turns WebKit's compositing back on.
const COMPOSITING_ENV: &str = "SWITCHYARD_GPU_COMPOSITING";

/// Sets the main window's web view to paint without compositing, unless the environment
/// asks for compositing. Settings apply to the loaded page too.
pub fn configure(app: &AppHandle) {
    if std::env::var(COMPOSITING_ENV).is_ok_and(|v| v == "1") {
        tracing::info!("{COMPOSITING_ENV}=1: WebKit composites with OpenGL");
        return;
    }
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let applied = window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{HardwareAccelerationPolicy, SettingsExt, WebViewExt};
            if let Some(settings) = webview.inner().settings() {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    });
    if let Err(error) = applied {
        tracing::warn!(%error, "cannot set how the window paints; WebKit's default stays");
    }
}

//! The Switchyard desktop shell: parses the command line, starts the core, and wires it
//! to the window. Everything that decides anything lives in `switchyard-core`.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod alert_watch;
mod bridge;
mod commands;
mod logging;
mod notify;
mod pushes;
mod reload;
mod rendering;
mod session;
mod single_instance;
mod team_watch;
mod tray;

use std::path::PathBuf;

use clap::Parser;
use tauri::{Manager, RunEvent};

/// Every Rust allocation of the app goes through jemalloc (see Cargo.toml for why); the
/// web view and the C libraries keep the system's malloc.
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Switchyard: a desktop console for on-call engineers.
#[derive(Debug, Parser)]
#[command(
    name = "switchyard",
    version = env!("SWITCHYARD_VERSION"),
    about,
    after_help = "Example:\n  switchyard --config ~/.config/switchyard/switchyard.toml\n  switchyard --demo"
)]
struct Args {
    /// The configuration file. Without it: $SWITCHYARD_CONFIG, then the user's config
    /// directory, then the demo fleet.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Watch the built-in simulated fleet, whatever configuration exists.
    #[arg(long, conflicts_with = "config")]
    demo: bool,
}

fn main() {
    let args = Args::parse();
    let dirs = switchyard_core::dirs::AppDirs::discover();
    let _log_guard = logging::init(dirs.as_ref().map(|d| d.log_dir.as_path()));

    let source = session::locate_config(args.config.as_deref(), args.demo, dirs.as_ref());
    let preferences = commands::preferences::PreferencesFile(
        dirs.as_ref()
            .map(|d| switchyard_core::preferences::Preferences::path_in(&d.data_dir)),
    );

    let app = tauri::Builder::default()
        // First, so that a second launch hands over before anything else starts.
        .plugin(single_instance::plugin(
            &source,
            dirs.as_ref().map(|d| d.data_dir.as_path()),
        ))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .setup(move |app| {
            let session =
                tauri::async_runtime::block_on(session::Session::start(source, dirs.as_ref()));
            let engine = session.engine();
            let console = session.console();
            let watched = session.config_file();
            app.manage(session);
            app.manage(single_instance::LaunchWatchers::default());
            app.manage(preferences);
            alert_watch::start(app.handle(), engine);
            pushes::start(app.handle(), console.as_deref());
            team_watch::start(app.handle(), console.as_deref());
            reload::start(app.handle(), watched);
            rendering::configure(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::fleet::session_info,
            commands::fleet::fleet_state,
            commands::fleet::watch_fleet,
            commands::fleet::watch_store_health,
            commands::charts::series_chart,
            commands::charts::breaker_timeline,
            commands::charts::sparklines,
            commands::actions::plan_action,
            commands::actions::run_action,
            commands::actions::recent_actions,
            commands::actions::watch_actions,
            commands::snapshot::export_snapshot,
            commands::snapshot::open_last_export,
            commands::snapshot::reveal_last_export,
            commands::alerts::tray_state,
            commands::alerts::alerts_state,
            commands::alerts::acknowledge_alert,
            commands::alerts::silence_alerts,
            commands::alerts::unsilence,
            commands::alerts::alert_rules,
            commands::alerts::save_alert_rules,
            commands::alerts::export_alert_rules,
            commands::alerts::watch_alerts,
            commands::team_alerts::team_alerts_state,
            commands::team_alerts::watch_team_alerts,
            commands::team_alerts::acknowledge_team_alert,
            commands::team_alerts::silence_team_alert,
            commands::team_alerts::expire_team_silence,
            commands::team_alerts::open_runbook,
            single_instance::watch_second_launch,
            reload::watch_session,
            commands::services::probe_service,
            commands::services::configured_services,
            commands::services::edit_services,
            commands::services::store_secret,
            commands::preferences::preferences,
            commands::preferences::save_preferences,
        ])
        .build(tauri::generate_context!());

    let app = match app {
        Ok(app) => app,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the window");
            eprintln!("switchyard: cannot start the window: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let RunEvent::Exit = event {
            // Write what is queued for the history before the process ends.
            let session = handle.state::<session::Session>();
            tauri::async_runtime::block_on(session.shutdown());
        }
    });
}

//! The Handshake desktop app: a thin Tauri shell. Every command is one call into
//! `handshake::desktop::Desktop`, the same core the CLI uses; errors cross IPC as
//! `{code, message}`. The shell adds only what needs a window or the OS: the login window,
//! live events, the embedded SP's lifetime (started at launch, stopped at exit), the files
//! the user saves and the system browser (os.rs).
#![forbid(unsafe_code)]
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod os;

use std::sync::Arc;

use handshake::clock::SystemClock;
use handshake::desktop::Desktop;
use handshake::options::OpenOptions;
use tauri::{Emitter as _, Manager as _};

/// The event the window listens to for finished test logins.
const TEST_LOGIN_EVENT: &str = "test-login";
/// The event the SCIM tab's live log listens to: one per request the SCIM endpoint answered.
const SCIM_REQUEST_EVENT: &str = "scim-request";

fn main() {
    let desktop = match OpenOptions::from_env()
        .and_then(|options| Ok((options.port, Desktop::open(&options, Arc::new(SystemClock))?)))
    {
        Ok(d) => d,
        Err(e) => {
            eprintln!("handshake-app: {} ({})", e.message, e.code.as_str());
            std::process::exit(2);
        }
    };
    let (port, desktop) = desktop;
    let desktop = Arc::new(desktop);
    let app = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .manage(desktop.clone())
        .setup(move |app| {
            let status = tauri::async_runtime::block_on(desktop.start_server(port));
            match &status.error {
                None => eprintln!("Handshake SP listening on {}/", status.base_url),
                Some(e) => eprintln!("Handshake SP not started: {}", e.message),
            }
            // Forward finished test logins to the window as they happen.
            let mut events = desktop.subscribe();
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    match events.recv().await {
                        Ok(summary) => {
                            let _ = handle.emit(TEST_LOGIN_EVENT, summary);
                            commands::login_done(&handle);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
            // Forward SCIM requests to the window's live log.
            let mut scim = desktop.subscribe_scim();
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    match scim.recv().await {
                        Ok(summary) => {
                            let _ = handle.emit(SCIM_REQUEST_EVENT, summary);
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                    }
                }
            });
            Ok(())
        })
        .invoke_handler(commands::handler())
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("handshake-app: cannot start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            let desktop = handle.state::<Arc<Desktop>>().inner().clone();
            tauri::async_runtime::block_on(desktop.stop_server());
        }
    });
}

//! Declares the app's commands so each needs its own permission: the main window's
//! capability (capabilities/main.json) grants exactly the ones the UI calls.

const COMMANDS: &[&str] = &[
    "app_status",
    "start_server",
    "list_connections",
    "connection",
    "fetch_metadata",
    "cancel",
    "preview_metadata",
    "import_connection",
    "duplicate_connection",
    "remove_connection",
    "export_connection",
    "import_connection_file",
    "reimport_preview",
    "replace_metadata",
    "set_policy",
    "set_sp_urls",
    "rotate_sp_key",
    "sp_metadata",
    "save_sp_metadata",
    "presets",
    "mapping",
    "set_mapping",
    "preview_mapping",
    "open_login",
    "test_logins",
    "test_login",
    "analyze_response",
    "users",
    "user",
    "set_user_status",
    "delete_user",
    "audit",
    "export_audit",
    "create_demo",
    "demo_idp",
    "set_demo_idp",
    "demo_catalog",
    "set_demo_persona",
    "remove_demo_persona",
    "set_demo_persona_active",
    "reset_demo",
    "run_scenario",
];

fn main() {
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attributes) {
        println!("cargo::error=tauri build script failed: {e}");
    }
}

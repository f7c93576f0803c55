//! The desktop shell's lists agree with its one definition of the commands
//! (src-tauri/src/commands.rs): the main window's capability grants exactly their
//! permissions, and the UI's API calls exactly them, with their arguments. build.rs derives
//! the handler list and the permissions from the same file with the same reader.

use std::collections::BTreeSet;
use std::path::PathBuf;

#[path = "../../src-tauri/build/commands.rs"]
mod command_source;

use command_source::Command;

/// Permissions the main window has beyond its own commands (the README names them):
/// test-login events, the save dialog for exports, and writing text to the clipboard.
const EXTRA_PERMISSIONS: &[&str] =
    &["core:event:allow-listen", "core:event:allow-unlisten", "dialog:allow-save", CLIPBOARD_WRITE];

/// The one clipboard permission: the app writes text (every Copy button), never reads.
const CLIPBOARD_WRITE: &str = "clipboard-manager:allow-write-text";

fn repo_file(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}

fn commands() -> Vec<Command> {
    command_source::parse(&repo_file("src-tauri/src/commands.rs")).unwrap()
}

/// Sorted differences, for a failure message that says what to add and what to remove.
fn diff(expected: &BTreeSet<String>, found: &BTreeSet<String>) -> (Vec<String>, Vec<String>) {
    (expected.difference(found).cloned().collect(), found.difference(expected).cloned().collect())
}

#[test]
fn the_main_capability_grants_exactly_the_commands() {
    let capability: serde_json::Value = serde_json::from_str(&repo_file("src-tauri/capabilities/main.json")).unwrap();
    assert_eq!(capability["windows"], serde_json::json!(["main"]), "only the main window gets IPC");
    let listed: Vec<String> = capability["permissions"]
        .as_array()
        .expect("permissions is a list")
        .iter()
        .map(|p| p.as_str().expect("permissions are identifiers").to_owned())
        .collect();
    let granted: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(granted.len(), listed.len(), "a permission is listed twice in capabilities/main.json");
    let expected: BTreeSet<String> = commands()
        .iter()
        .map(|c| format!("allow-{}", c.name.replace('_', "-")))
        .chain(EXTRA_PERMISSIONS.iter().map(|p| (*p).to_owned()))
        .collect();
    let (missing, extra) = diff(&expected, &granted);
    assert!(
        missing.is_empty() && extra.is_empty(),
        "src-tauri/capabilities/main.json must grant exactly allow-<command> for every command in \
         src-tauri/src/commands.rs plus {EXTRA_PERMISSIONS:?}: add {missing:?}, remove {extra:?}"
    );
}

/// Every `call<T>("command", { args })` of ui/src/lib/api.ts: the command and its argument names.
fn ui_calls() -> Vec<(String, BTreeSet<String>)> {
    let api = repo_file("ui/src/lib/api.ts");
    let call = regex::Regex::new(r#"\bcall(?:<[^(]*>)?\(\s*"([^"]*)"\s*(?:,\s*\{([^}]*)\})?\s*\)"#).unwrap();
    let calls: Vec<_> = call
        .captures_iter(&api)
        .map(|c| {
            let args = c.get(2).map_or("", |m| m.as_str());
            let names = args
                .split(',')
                .map(|a| a.split(':').next().unwrap_or_default().trim().to_owned())
                .filter(|a| !a.is_empty())
                .collect();
            (c[1].to_owned(), names)
        })
        .collect();
    // Every use of `call(` is one of those (none with a computed name or arguments the regex missed).
    let uses = regex::Regex::new(r"\bcall(?:<[^(]*>)?\(").unwrap().find_iter(&api).count();
    // The definition `async function call<T>(command: ...` is the one use that is not a call.
    assert_eq!(uses, calls.len() + 1, "ui/src/lib/api.ts calls a command in a form this test cannot read");
    calls
}

#[test]
fn the_ui_api_calls_exactly_the_commands_with_their_arguments() {
    let commands = commands();
    let defined: BTreeSet<String> = commands.iter().map(|c| c.name.clone()).collect();
    let calls = ui_calls();
    let called: BTreeSet<String> = calls.iter().map(|(name, _)| name.clone()).collect();
    let (uncalled, unknown) = diff(&defined, &called);
    assert!(
        uncalled.is_empty() && unknown.is_empty(),
        "ui/src/lib/api.ts must call every command of src-tauri/src/commands.rs and nothing else: \
         not called {uncalled:?}, not defined {unknown:?}"
    );
    for (name, args) in &calls {
        let command = commands.iter().find(|c| &c.name == name).unwrap();
        let expected: BTreeSet<String> = command.args.iter().cloned().collect();
        assert_eq!(args, &expected, "ui/src/lib/api.ts calls {name} with other arguments than the command takes");
    }
}

#[test]
fn only_the_api_module_invokes_commands() {
    let root = ui_src();
    let offenders: Vec<String> = ui_source_files()
        .into_iter()
        .filter(|path| {
            path.extension().is_some_and(|e| e == "ts" || e == "svelte")
                && *path != root.join("lib/api.ts")
                && std::fs::read_to_string(path).unwrap().contains("@tauri-apps/api/core")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "only ui/src/lib/api.ts may invoke commands: {offenders:?}");
}

#[test]
fn the_command_reader_refuses_what_it_cannot_read() {
    let ok = "#[tauri::command(rename_all = \"snake_case\")]\n\
              async fn set_sp_urls(\n    core: Core<'_>,\n    name: String,\n    entity_id: Option<String>,\n) -> R<()> {}\n\
              /// Doc.\n#[tauri::command(rename_all = \"snake_case\")]\n\
              fn open_login(app: tauri::AppHandle, core: Core<'_>, name: String, in_app: bool) {}\n";
    let parsed = command_source::parse(ok).unwrap();
    assert_eq!(parsed.len(), 2);
    assert_eq!(
        (parsed[0].name.as_str(), parsed[0].args.clone()),
        ("set_sp_urls", vec!["name".into(), "entity_id".into()])
    );
    assert_eq!(parsed[1].args, vec!["name".to_owned(), "in_app".to_owned()]);
    for (bad, says) in [
        ("fn nothing() {}", "no #[tauri::command"),
        ("#[tauri::command]\nfn a() {}", "rename_all"),
        ("#[command(rename_all = \"snake_case\")]\nfn a() {}", "rename_all"),
        ("#[tauri::command(rename_all = \"snake_case\")]\nstruct A;", "expected a function"),
        ("#[tauri::command(rename_all = \"snake_case\")]\n", "not followed by a function"),
        (
            "#[tauri::command(rename_all = \"snake_case\")]\nfn a() {}\n#[tauri::command(rename_all = \"snake_case\")]\nfn a() {}",
            "twice",
        ),
    ] {
        let e = command_source::parse(bad).unwrap_err();
        assert!(e.contains(says), "{bad:?}: {e}");
    }
}

/// Every copy goes through the Tauri clipboard plugin (a webview's own clipboard API refuses
/// a write that follows an `await`: "The request is not allowed by the user agent"): the
/// plugin is registered, the main window may write text and nothing else of the clipboard,
/// and ui/src/lib/clipboard.svelte.ts is the only UI code that touches a clipboard.
#[test]
fn every_copy_goes_through_the_clipboard_plugin_which_may_only_write() {
    let capability: serde_json::Value = serde_json::from_str(&repo_file("src-tauri/capabilities/main.json")).unwrap();
    let clipboard: Vec<&str> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p.as_str())
        .filter(|p| p.starts_with("clipboard-manager:"))
        .collect();
    assert_eq!(clipboard, [CLIPBOARD_WRITE], "the main window writes text to the clipboard and never reads it");
    assert!(
        repo_file("src-tauri/src/main.rs").contains(".plugin(tauri_plugin_clipboard_manager::init())"),
        "src-tauri/src/main.rs registers the clipboard plugin"
    );
    let helper = repo_file("ui/src/lib/clipboard.svelte.ts");
    assert!(helper.contains("@tauri-apps/plugin-clipboard-manager"), "the copy helper uses the plugin");

    let root = ui_src();
    let offenders: Vec<String> = ui_source_files()
        .into_iter()
        .filter(|path| {
            let source = path.extension().is_some_and(|e| e == "ts" || e == "svelte");
            let test = path.to_string_lossy().contains(".test.");
            source && !test && *path != root.join("lib/clipboard.svelte.ts") && {
                let text = std::fs::read_to_string(path).unwrap();
                ["navigator.clipboard", "execCommand(\"copy\")", "plugin-clipboard-manager"]
                    .iter()
                    .any(|s| text.contains(s))
            }
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "only ui/src/lib/clipboard.svelte.ts may touch the clipboard: {offenders:?}");
}

fn ui_src() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ui/src")
}

/// Every file under ui/src (recursively).
fn ui_source_files() -> Vec<PathBuf> {
    let mut stack = vec![ui_src()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() { stack.push(path) } else { files.push(path) }
        }
    }
    files
}

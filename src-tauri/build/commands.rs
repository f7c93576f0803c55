//! Reads the app's IPC commands from src-tauri/src/commands.rs, the one place they are
//! defined: each `#[tauri::command(rename_all = "snake_case")]` function's name and the
//! arguments the UI passes to it. Shared by build.rs (which derives the handler list and the
//! per-command permissions from it) and the `shell` integration test (which checks the
//! capability file and the UI's API against it).

/// One IPC command as the UI invokes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub name: String,
    /// The argument names the UI sends, in order (Tauri's injected parameters left out).
    pub args: Vec<String>,
}

/// Parameter types Tauri fills in itself: the UI never sends them.
const INJECTED: &[&str] = &[
    "Core<",
    "State<",
    "tauri::State<",
    "AppHandle",
    "tauri::AppHandle",
    "Window",
    "tauri::Window",
    "WebviewWindow",
    "tauri::WebviewWindow",
    "Webview",
    "tauri::Webview",
];

/// The commands of `source`, in order. Fails, saying what to change, on anything it cannot
/// read with certainty: a command attribute not followed by a function, one written another
/// way than `#[tauri::command(rename_all = "snake_case")]`, a name defined twice, or none.
pub fn parse(source: &str) -> Result<Vec<Command>, String> {
    let lines: Vec<&str> = source.lines().collect();
    let mut commands: Vec<Command> = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let line_no = index + 1;
        let trimmed = line.trim();
        if trimmed.starts_with("#[command") || trimmed.starts_with("#[tauri::command]") {
            return Err(format!(
                "line {line_no}: write commands as #[tauri::command(rename_all = \"snake_case\")] \
                 (the UI sends snake_case arguments, and the command list is read from that spelling)"
            ));
        }
        if !trimmed.starts_with("#[tauri::command") {
            continue;
        }
        if !trimmed.ends_with(']') || !trimmed.contains("rename_all = \"snake_case\"") {
            return Err(format!(
                "line {line_no}: write the attribute on one line as #[tauri::command(rename_all = \"snake_case\")]"
            ));
        }
        let signature = signature_after(&lines, index + 1)
            .ok_or_else(|| format!("line {line_no}: #[tauri::command] is not followed by a function"))?;
        let command = read_signature(&signature).map_err(|e| format!("line {line_no}: {e}"))?;
        if commands.iter().any(|c| c.name == command.name) {
            return Err(format!("line {line_no}: the command {} is defined twice", command.name));
        }
        commands.push(command);
    }
    if commands.is_empty() {
        return Err("no #[tauri::command(rename_all = \"snake_case\")] functions found".to_owned());
    }
    Ok(commands)
}

/// The function signature starting at the first line from `from` that is not an attribute,
/// a comment or blank, up to its closing parenthesis (that line alone if it is no function);
/// `None` if nothing follows.
fn signature_after(lines: &[&str], from: usize) -> Option<String> {
    let mut rest = lines.iter().skip(from).map(|l| l.trim());
    let first = rest.by_ref().find(|l| !(l.is_empty() || l.starts_with("#[") || l.starts_with("//")))?;
    let mut signature = String::new();
    for line in std::iter::once(first).chain(rest) {
        signature.push_str(line);
        signature.push(' ');
        if closes_parameters(&signature) || !signature.contains("fn ") {
            break;
        }
    }
    Some(signature)
}

/// True once the first `(` of `text` has its matching `)`.
fn closes_parameters(text: &str) -> bool {
    let Some(open) = text.find('(') else { return false };
    let mut depth = 0usize;
    for c in text.get(open..).unwrap_or_default().chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

fn read_signature(signature: &str) -> Result<Command, String> {
    let mut head = signature.trim_start();
    for prefix in ["pub(crate) ", "pub ", "async "] {
        head = head.strip_prefix(prefix).unwrap_or(head).trim_start();
    }
    let after_fn = head.strip_prefix("fn ").ok_or_else(|| format!("expected a function, found {signature:?}"))?;
    let name_end = after_fn.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(after_fn.len());
    let name = after_fn.get(..name_end).unwrap_or_default();
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err(format!("cannot read the function name in {signature:?}"));
    }
    let open = after_fn.find('(').ok_or_else(|| format!("no parameter list in {signature:?}"))?;
    let params = after_fn.get(open + 1..).unwrap_or_default();
    let mut args = Vec::new();
    for param in split_top_level(params) {
        let (arg, ty) =
            param.split_once(':').ok_or_else(|| format!("cannot read the parameter {param:?} of {name}"))?;
        let arg = arg.trim().trim_start_matches("mut ").trim();
        let ty = ty.trim();
        if INJECTED.iter().any(|injected| ty.starts_with(injected)) {
            continue;
        }
        args.push(arg.to_owned());
    }
    Ok(Command { name: name.to_owned(), args })
}

/// The parameters of a list that starts after its `(`: split at top-level commas, up to the
/// matching `)`, blanks dropped.
fn split_top_level(params: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in params.chars() {
        match c {
            '(' | '<' | '[' => depth += 1,
            ')' if depth == 0 => break,
            ')' | '>' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect()
}

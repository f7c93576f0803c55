//! What the app does to the machine outside the core: write a file where the user chose to
//! save it, and open a page of the embedded SP in the system browser (saying so when no
//! browser opened it).

use std::path::Path;
use std::time::{Duration, Instant};

use handshake::{Error, ErrorCode};

/// Writes `content` to `path`, which comes from the save dialog: an absolute path.
pub fn write_chosen_file(path: &Path, content: &str) -> Result<(), Error> {
    if !path.is_absolute() {
        return Err(Error::invalid(format!("{} is not an absolute path", path.display())));
    }
    std::fs::write(path, content)
        .map_err(|e| Error::new(ErrorCode::Io, format!("cannot write {}: {e}", path.display())))
}

/// How long the opener (xdg-open, open) gets to say it found no browser. One that is still
/// running then has handed the page to a browser: many wait for the browser they started.
pub const OPENER_WAIT: Duration = Duration::from_secs(3);

/// The program that opens a URL in the default browser (it honours `$BROWSER` on Linux).
const OPENER: &str = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };

/// Opens `url` in the system browser, if it is a page of the embedded SP at `base_url`:
/// the app opens nothing else there. A `no_browser` error when nothing opened it (no
/// opener, or it failed within [`OPENER_WAIT`]), so the window never waits for a login
/// that no browser started.
pub fn open_in_browser(url: &str, base_url: &str) -> Result<(), Error> {
    if !is_page_of(url, base_url) {
        return Err(Error::invalid("only the embedded SP's own pages open in the browser"));
    }
    open_with(Path::new(OPENER), url, OPENER_WAIT)
}

/// Runs `opener url` and waits at most `wait` for it to fail: it cannot start, or it exits
/// non-zero (xdg-open's 3: no method available). Exiting 0, or still running after `wait`,
/// is success; a running opener is reaped on a thread of its own.
fn open_with(opener: &Path, url: &str, wait: Duration) -> Result<(), Error> {
    let name = opener.display();
    let mut child = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| no_browser("opener_missing", format!("cannot start {name} to open the system browser: {e}")))?;
    let deadline = Instant::now() + wait;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                return Err(no_browser(
                    "opener_failed",
                    format!("{name} found no browser to open the sign-in page ({status})"),
                ));
            }
            Ok(None) if Instant::now() >= deadline => {
                std::thread::spawn(move || child.wait());
                return Ok(());
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(25)),
            Err(e) => {
                return Err(no_browser("opener_failed", format!("cannot tell whether {name} opened a browser: {e}")));
            }
        }
    }
}

fn no_browser(detail: &str, message: String) -> Error {
    Error::new(ErrorCode::NoBrowser, message).detail(detail).hint(
        "Open the login URL in a browser yourself (copy it), set a default browser (xdg-settings or $BROWSER), \
         or sign in in an app window instead.",
    )
}

fn is_page_of(url: &str, base_url: &str) -> bool {
    url.starts_with(&format!("{base_url}/"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// An executable script in a fresh directory, standing in for xdg-open.
    #[cfg(unix)]
    fn opener(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    /// With "System browser" chosen and no browser, the app waited forever: the opener was
    /// started and forgotten, so a missing xdg-open was a bare I/O error and an xdg-open
    /// that found no browser (exit 3) counted as opened. Both are `no_browser` now, told
    /// within the bounded wait; an opener that keeps running has handed the page on.
    #[cfg(unix)]
    #[test]
    fn regression_no_browser_is_said_instead_of_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let url = "http://127.0.0.1:7777/saml/acme/login";
        let wait = Duration::from_secs(10);

        let missing = open_with(&dir.path().join("xdg-open"), url, wait).unwrap_err();
        assert_eq!((missing.code, missing.detail.as_deref()), (ErrorCode::NoBrowser, Some("opener_missing")));
        assert!(missing.message.starts_with("cannot start "), "{}", missing.message);
        assert!(missing.hint.as_deref().unwrap().contains("copy it"));

        // What xdg-open does without a browser: "no method available", exit status 3.
        let none =
            opener(dir.path(), "no-browser", "echo \"xdg-open: no method available for opening '$1'\" >&2; exit 3");
        let failed = open_with(&none, url, wait).unwrap_err();
        assert_eq!((failed.code, failed.detail.as_deref()), (ErrorCode::NoBrowser, Some("opener_failed")));
        assert!(failed.message.contains("found no browser") && failed.message.contains('3'), "{}", failed.message);
        assert_eq!(serde_json::to_value(&failed).unwrap()["code"], "no_browser");

        let opened = opener(dir.path(), "opened", "exit 0");
        open_with(&opened, url, wait).unwrap();
        // An opener that waits for the browser it started: handed on after the wait.
        let waits = opener(dir.path(), "waits", "exec sleep 30");
        open_with(&waits, url, Duration::from_millis(200)).unwrap();
    }

    #[test]
    fn a_chosen_file_is_written_only_at_an_absolute_path() {
        let dir = std::env::temp_dir().join(format!("handshake-app-os-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("audit.csv");
        write_chosen_file(&file, "\"id\"\n").unwrap();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "\"id\"\n");

        let relative = write_chosen_file(Path::new("audit.csv"), "x").unwrap_err();
        assert_eq!(
            (relative.code, relative.message.as_str()),
            (ErrorCode::InvalidInput, "audit.csv is not an absolute path")
        );
        // A directory where the file should go: the OS's reason, as the UI shows it.
        let unwritable = write_chosen_file(&dir, "x").unwrap_err();
        assert_eq!(unwritable.code, ErrorCode::Io);
        assert!(unwritable.message.starts_with(&format!("cannot write {}: ", dir.display())), "{}", unwritable.message);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn only_the_embedded_sps_pages_open_in_the_browser() {
        let base = "http://127.0.0.1:7777";
        assert!(is_page_of("http://127.0.0.1:7777/saml/acme/login", base));
        for other in [
            "http://127.0.0.1:77770/saml/acme/login",
            "https://evil.example/",
            "http://127.0.0.1:7777",
            "file:///etc/passwd",
        ] {
            assert!(!is_page_of(other, base), "{other}");
        }
        let refused = open_in_browser("https://evil.example/", base).unwrap_err();
        assert_eq!(
            (refused.code, refused.message.as_str()),
            (ErrorCode::InvalidInput, "only the embedded SP's own pages open in the browser")
        );
    }
}

//! What the app does to the machine outside the core: write a file where the user chose to
//! save it, and open a page of the embedded SP in the system browser.

use std::path::Path;

use handshake::{Error, ErrorCode};

/// Writes `content` to `path`, which comes from the save dialog: an absolute path.
pub fn write_chosen_file(path: &Path, content: &str) -> Result<(), Error> {
    if !path.is_absolute() {
        return Err(Error::invalid(format!("{} is not an absolute path", path.display())));
    }
    std::fs::write(path, content)
        .map_err(|e| Error::new(ErrorCode::Io, format!("cannot write {}: {e}", path.display())))
}

/// Opens `url` in the system browser, if it is a page of the embedded SP at `base_url`:
/// the app opens nothing else there.
pub fn open_in_browser(url: &str, base_url: &str) -> Result<(), Error> {
    if !is_page_of(url, base_url) {
        return Err(Error::invalid("only the embedded SP's own pages open in the browser"));
    }
    std::process::Command::new(if cfg!(target_os = "macos") { "open" } else { "xdg-open" })
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| Error::new(ErrorCode::Io, format!("cannot open the system browser (xdg-open): {e}")))
}

fn is_page_of(url: &str, base_url: &str) -> bool {
    url.starts_with(&format!("{base_url}/"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

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

//! The file secret store: one file per secret in a directory only its owner can open
//! (0700), each file 0600 and written atomically. For headless machines and CI.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::{SecretStore, validate_key};
use crate::sensitive::Sensitive;
use crate::{Error, ErrorCode, Result};

const SUFFIX: &str = ".secret";
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// One file per secret in a directory only its owner can enter.
///
/// The file of key `a/b` is `a~b.secret` (`~` cannot occur in a key, so the mapping
/// is reversible, and no file name can contain `/` or be `.`/`..`). Files are mode
/// 0600, written to a 0600 temporary file in the same directory and renamed over
/// the old one, so readers see the old or the new secret, never a partial one.
#[derive(Debug)]
pub struct FileStore {
    dir: PathBuf,
}

impl FileStore {
    /// Creates `dir` (mode 0700, parents as needed) or checks that the existing
    /// directory is not accessible by group or others.
    pub fn open(dir: &Path) -> Result<Self> {
        match fs::metadata(dir) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => {
                DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|e| unusable(format!("cannot create the secret directory {}: {e}", dir.display())))?;
                // The umask can only remove bits, but be explicit about the final mode.
                fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(|e| {
                    unusable(format!("cannot make the secret directory {} private (mode 0700): {e}", dir.display()))
                })?;
            }
            Err(e) => {
                return Err(unusable(format!("cannot use the secret directory {}: {e}", dir.display())));
            }
        }
        let store = FileStore { dir: dir.to_path_buf() };
        store.check_dir()?;
        Ok(store)
    }

    /// The directory holding the secrets.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file holding `key` (the key must be valid).
    pub fn path_of(&self, key: &str) -> PathBuf {
        self.dir.join(file_name(key))
    }

    fn check_dir(&self) -> Result<()> {
        let dir = &self.dir;
        let meta = fs::metadata(dir)
            .map_err(|e| unusable(format!("cannot use the secret directory {}: {e}", dir.display())))?;
        if !meta.is_dir() {
            return Err(unusable(format!("the secret store path {} is not a directory", dir.display())));
        }
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::new(
                ErrorCode::SecretStoreUnavailable,
                format!(
                    "refusing to keep secrets in {}: group or others can access it (mode {mode:04o})",
                    dir.display()
                ),
            )
            .detail("directory_not_private")
            .hint(format!("Run `chmod 700 {}` and try again.", dir.display())));
        }
        Ok(())
    }
}

fn file_name(key: &str) -> String {
    format!("{}{SUFFIX}", key.replace('/', "~"))
}

/// A secret directory that cannot be created or used.
fn unusable(message: String) -> Error {
    Error::new(ErrorCode::SecretStoreUnavailable, message)
        .detail("directory_unusable")
        .hint("Choose a directory this user can create and write, or use the OS keyring.")
}

fn io(message: String) -> Error {
    Error::new(ErrorCode::Io, message)
}

impl SecretStore for FileStore {
    fn get(&self, key: &str) -> Result<Option<Sensitive<Vec<u8>>>> {
        validate_key(key)?;
        self.check_dir()?;
        let path = self.path_of(key);
        let mut file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(io(format!("cannot read secret {key:?} from {}: {e}", path.display())));
            }
        };
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io(format!("cannot read secret {key:?} from {}: {e}", path.display())))?;
        Ok(Some(Sensitive::new(bytes)))
    }

    fn set(&self, key: &str, value: &Sensitive<Vec<u8>>) -> Result<()> {
        validate_key(key)?;
        self.check_dir()?;
        let path = self.path_of(key);
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let temp = self.dir.join(format!(".{}.{}.{n}.tmp", file_name(key), std::process::id()));
        let write = || -> std::io::Result<()> {
            // Mode 0600 from creation on: no byte is ever in a more open file.
            let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
            file.set_permissions(fs::Permissions::from_mode(0o600))?;
            file.write_all(value.expose())?;
            file.sync_all()?;
            drop(file);
            fs::rename(&temp, &path)
        };
        if let Err(e) = write() {
            let _ = fs::remove_file(&temp);
            return Err(io(format!("cannot write secret {key:?} to {}: {e}", path.display())));
        }
        // Make the rename durable. Best effort: some file systems refuse to fsync a
        // directory, and the secret is already in place.
        if let Ok(dir) = File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<()> {
        validate_key(key)?;
        self.check_dir()?;
        let path = self.path_of(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(format!("cannot delete secret {key:?} ({}): {e}", path.display()))),
        }
    }

    fn describe(&self) -> String {
        format!("files in {} (0600)", self.dir.display())
    }

    fn check(&self) -> Result<()> {
        self.check_dir()
    }
}

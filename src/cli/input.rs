//! What the CLI reads: files or stdin (`-`), metadata from a file or a URL, responses,
//! instants.

use std::io::Read as _;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use handshake::{Error, ErrorCode};

use super::args::ResponseArgs;

pub fn parse_instant(t: &str) -> Result<DateTime<Utc>, Error> {
    DateTime::parse_from_rfc3339(t)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::invalid(format!("{t:?} is not an RFC 3339 instant (such as 2026-01-15T10:01:00Z): {e}")))
}

pub fn read_file(path: &PathBuf) -> Result<Vec<u8>, Error> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Error::new(ErrorCode::Io, format!("cannot read stdin: {e}")))?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| Error::new(ErrorCode::Io, format!("cannot read {}: {e}", path.display())))
}

pub fn read_metadata(arg: &str) -> Result<(String, String), Error> {
    if arg.starts_with("http://") || arg.starts_with("https://") {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot start the network runtime: {e}")))?;
        let xml = runtime.block_on(handshake::metadata::fetch(arg))?;
        return Ok((xml, arg.to_owned()));
    }
    let bytes = read_file(&PathBuf::from(arg))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::new(ErrorCode::InvalidMetadata, format!("{arg} is not UTF-8 text")))?;
    let source = if arg == "-" { "stdin".to_owned() } else { arg.to_owned() };
    Ok((text, source))
}

/// A response to judge, as the flags name it.
pub struct ResponseInput {
    pub connection: String,
    /// The base64 form value or the decoded XML.
    pub text: String,
    pub at: DateTime<Utc>,
    pub in_response_to: Option<String>,
}

/// `--at response`: judge a capture at its own IssueInstant (verify only).
pub const AT_RESPONSE: &str = "response";

pub fn read_response(args: &ResponseArgs, now: DateTime<Utc>) -> Result<ResponseInput, Error> {
    let at = match &args.at {
        Some(t) if t == AT_RESPONSE => {
            return Err(Error::invalid(
                "--at response judges a captured response at its own IssueInstant: only `verify` takes it",
            ));
        }
        Some(t) => DateTime::parse_from_rfc3339(t).map(|t| t.with_timezone(&Utc)).map_err(|e| {
            Error::invalid(format!("--at {t:?} is not an RFC 3339 instant (such as 2026-01-15T10:01:00Z): {e}"))
        })?,
        None => now,
    };
    // Bytes that are not UTF-8 still get a verdict (rejected at `parse`), not a usage error.
    let text = String::from_utf8_lossy(&read_file(&args.response)?).into_owned();
    Ok(ResponseInput { connection: args.connection.clone(), text, at, in_response_to: args.in_response_to.clone() })
}

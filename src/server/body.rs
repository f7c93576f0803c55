//! Request bodies: a deadline for the whole body (a client trickling it is cut off), the
//! size cap, and the fields of an HTML form.

use std::fmt;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;

use super::MAX_BODY_BYTES;
use super::refusal::Refusal;

/// The body did not arrive within its deadline.
#[derive(Debug)]
pub(crate) struct BodyTimedOut;

impl fmt::Display for BodyTimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the request body did not arrive in time")
    }
}

impl std::error::Error for BodyTimedOut {}

/// A body that must be complete within a deadline counted from the end of the request head
/// (a whole-body deadline: a byte now and then does not extend it).
pub(crate) struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame);
        }
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(axum::Error::new(BodyTimedOut)))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Middleware (outermost, from the serving loop): gives every request body its deadline.
pub(crate) async fn with_deadline(State(limit): State<Duration>, request: Request) -> Request {
    request.map(|inner| Body::new(DeadlineBody { inner, deadline: Box::pin(tokio::time::sleep(limit)) }))
}

fn caused_by<E: std::error::Error + 'static>(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<E>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Reads the whole body, at most [`MAX_BODY_BYTES`], within its deadline.
pub(crate) async fn read(body: Body) -> Result<Bytes, Refusal> {
    axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|e| {
        if caused_by::<BodyTimedOut>(&e) {
            Refusal::new(StatusCode::REQUEST_TIMEOUT, "Request timeout", "The request body did not arrive in time.")
        } else if caused_by::<http_body_util::LengthLimitError>(&e) {
            Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                format!("Handshake reads request bodies of at most {} MiB.", MAX_BODY_BYTES / (1024 * 1024)),
            )
        } else {
            Refusal::new(StatusCode::BAD_REQUEST, "Bad request", "The request body could not be read.")
        }
    })
}

/// The body is an HTML form (`application/x-www-form-urlencoded`, any parameters): what
/// browsers post, and all the SAML HTTP-POST binding uses.
pub(crate) fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

pub(crate) fn require_form(headers: &HeaderMap) -> Result<(), Refusal> {
    if is_form(headers) {
        return Ok(());
    }
    Err(Refusal::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Not a form",
        "This endpoint takes an HTML form post (Content-Type application/x-www-form-urlencoded).",
    ))
}

/// The fields of a form body, in order; the first of a repeated name counts.
pub(crate) struct FormFields(Vec<(String, String)>);

impl FormFields {
    pub(crate) fn parse(body: &[u8]) -> Self {
        FormFields(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The field's value, `None` when absent or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
    }
}

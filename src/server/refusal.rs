//! What a handler answers instead of its page: an HTML error page with the status that
//! fits. Handlers return `Result<Response, Refusal>`; core errors convert into one.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{html, page};
use crate::error::{Error, ErrorCode};

#[derive(Debug)]
pub(crate) struct Refusal {
    status: StatusCode,
    title: &'static str,
    message: String,
}

impl Refusal {
    pub(crate) fn new(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Refusal { status, title, message: message.into() }
    }

    /// A request that may not act: no valid anti-CSRF token, or sent from another site.
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Refusal::new(StatusCode::FORBIDDEN, "Refused", message)
    }
}

impl From<Error> for Refusal {
    fn from(e: Error) -> Self {
        let (status, title) = match e.code {
            ErrorCode::NotFound => (StatusCode::NOT_FOUND, "Not found"),
            ErrorCode::InvalidInput | ErrorCode::InvalidMetadata => (StatusCode::BAD_REQUEST, "Bad request"),
            ErrorCode::SecretStoreUnavailable | ErrorCode::SecretMissing => {
                (StatusCode::SERVICE_UNAVAILABLE, "SP key unavailable")
            }
            _ => (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong"),
        };
        Refusal { status, title, message: e.message }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        html(self.status, page::error_page(self.status.as_u16(), self.title, &self.message))
    }
}

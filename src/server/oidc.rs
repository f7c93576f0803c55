//! The embedded SP's OpenID Connect routes: `GET /oidc/{connection}/login` (303 to the OP)
//! and `GET /oidc/{connection}/callback`, where the OP sends the browser back with a code.
//!
//! The callback is the one handler with network work between two workbench calls: the plan
//! (read-only: the state, the code's replay pre-check), then the code exchange, a JWKS
//! refetch when the ID token names an unknown `kid` (at most one per connection per
//! [`JWKS_REFETCH_INTERVAL_SECONDS`]), userinfo, then the completion in one transaction.
//! The callback is a top-level GET from the OP's redirect: no Origin or CSRF check applies.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::refusal::Refusal;
use super::{Answer, AppState, LoginQuery, connection_name, publish};
use crate::oidc::{Exchange, rp};
use crate::sensitive::Sensitive;
use crate::workbench::oidc_login::{CallbackFacts, CallbackPlan, CallbackQuery, ExchangeInputs, names_unknown_kid};

/// The shortest time between two JWKS refetches of one connection: a token naming an
/// unknown `kid` cannot make Handshake hammer the OP.
pub const JWKS_REFETCH_INTERVAL_SECONDS: i64 = 60;

/// When each connection's JWKS was last fetched again (in memory: a restart may refetch once).
#[derive(Debug, Default)]
pub struct RefetchGate {
    last: Mutex<HashMap<i64, DateTime<Utc>>>,
}

impl RefetchGate {
    /// Whether connection `id` may refetch at `now`; if so, the attempt is recorded (a
    /// failed fetch counts too).
    pub fn try_acquire(&self, id: i64, now: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let mut last = self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match last.get(&id) {
            Some(at) if now.signed_duration_since(*at).num_seconds() < JWKS_REFETCH_INTERVAL_SECONDS => Err(*at),
            _ => {
                last.insert(id, now);
                Ok(())
            }
        }
    }
}

pub(crate) async fn login(
    State(state): State<AppState>,
    Path(connection): Path<String>,
    Query(q): Query<LoginQuery>,
) -> Answer {
    let now = state.clock.now();
    let name = connection_name(&connection)?;
    let start = state.run(move |wb| wb.start_oidc_login(&name, now, q.return_to.as_deref())).await?;
    tracing::info!(connection = %connection, "OIDC test login started");
    Ok(Redirect::to(&start.redirect_url).into_response())
}

/// The callback's query (RFC 6749 §4.1.2 and §4.1.2.1, RFC 9207).
#[derive(Deserialize)]
pub(crate) struct CallbackParams {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    iss: Option<String>,
}

pub(crate) async fn callback(
    State(state): State<AppState>,
    Path(connection): Path<String>,
    Query(p): Query<CallbackParams>,
) -> Answer {
    let name = connection_name(&connection)?;
    let query = CallbackQuery {
        state: p.state,
        code: p.code.map(Sensitive::new),
        error: p.error,
        error_description: p.error_description,
        iss: p.iss,
    };
    if query.state.is_none() && query.code.is_none() && query.error.is_none() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            "Not a callback",
            "This is where the OpenID Provider sends the browser back after a login, with code and state (or error) \
             in the query. Start a test login at /oidc/{connection}/login.",
        ));
    }
    let planned = {
        let (name, query) = (name.clone(), query.clone());
        let now = state.clock.now();
        state.run(move |wb| wb.oidc_callback_plan(&name, &query, now)).await?
    };
    let facts = match planned {
        CallbackPlan::Complete => CallbackFacts::default(),
        CallbackPlan::Exchange(inputs) => redeem(&state, &inputs).await,
    };
    // The state is matched again, and the token judged, at the instant of completion.
    let now = state.clock.now();
    let t = state.run(move |wb| wb.complete_oidc_login(&name, &query, facts, now)).await?;
    tracing::info!(
        connection = %t.connection,
        test_login = t.id,
        outcome = t.report.outcome.as_str(),
        failed_check = t.report.failed_check.map(|s| s.as_str()).unwrap_or("-"),
        "OIDC test login"
    );
    publish(&state, &t);
    // Post/Redirect/Get, as the ACS: a reload shows the result instead of redeeming again.
    Ok(Redirect::to(&format!("/test-logins/{}", t.id)).into_response())
}

/// The network part: the code exchange, the JWKS again for an unknown `kid` (rate-limited),
/// userinfo. Every failure becomes a fact the judge reports, never an error page.
async fn redeem(state: &AppState, inputs: &ExchangeInputs) -> CallbackFacts {
    let mut facts = CallbackFacts::default();
    let exchange = match rp::token_client() {
        Ok(http) => {
            rp::exchange(
                &http,
                &inputs.settings,
                inputs.client_secret.as_ref(),
                &inputs.code,
                &inputs.pkce_verifier,
                &inputs.redirect_uri,
            )
            .await
        }
        Err(e) => Exchange::Failed { status: None, detail: e.message },
    };
    if let Exchange::Tokens { id_token: Some(token), access_token, .. } = &exchange {
        if names_unknown_kid(token, inputs.settings.jwks_json.as_deref()) {
            refetch_jwks(state, inputs, &mut facts).await;
        }
        if inputs.settings.call_userinfo
            && let (Some(endpoint), Some(access_token)) = (&inputs.settings.userinfo_endpoint, access_token)
        {
            match userinfo(endpoint, access_token).await {
                Ok(claims) => facts.userinfo = Some(claims),
                Err(e) => facts.userinfo_error = Some(e.message),
            }
        }
    }
    facts.exchange = Some(exchange);
    facts
}

async fn refetch_jwks(state: &AppState, inputs: &ExchangeInputs, facts: &mut CallbackFacts) {
    let now = state.clock.now();
    if let Err(last) = state.jwks_refetches.try_acquire(inputs.connection_id, now) {
        facts.jwks_note = Some(format!(
            "The ID token names a key the cached JWKS lacks, but the JWKS was fetched again at {} (at most once \
             every {JWKS_REFETCH_INTERVAL_SECONDS} s), so it was not fetched again.",
            last.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
        return;
    }
    // The one bounded JWKS fetch (`oidc::http`): within limits, public keys only.
    match crate::oidc::http::fetch_jwks(&inputs.settings.jwks_uri).await {
        Ok((jwks, _)) => facts.refetched_jwks = Some(jwks),
        Err(e) => {
            facts.jwks_note = Some(format!(
                "The ID token names a key the cached JWKS lacks; fetching the JWKS again failed: {}",
                e.message
            ));
        }
    }
}

async fn userinfo(
    endpoint: &str,
    access_token: &Sensitive<String>,
) -> crate::Result<serde_json::Map<String, serde_json::Value>> {
    let http = rp::userinfo_client()?;
    rp::userinfo(&http, endpoint, access_token).await
}

//! Drives the SCIM steps of a scenario or hybrid story step over HTTP: the demo IdP's SCIM
//! client against the connection's `/scim/{name}/v2` (with the token the workbench read from
//! the secret store), and the person's sign-ins through the real SAML endpoints
//! ([`super::run::drive`]). An admin's action in between (deleting an account) is the host's:
//! the app or CLI calls the one workbench operation.

use std::future::Future;

use serde_json::Value;

use super::PreparedScenario;
use super::scenarios::ScenarioId;
use super::scenarios_scim::{Act, ROLLBACK_FROM, ROLLBACK_TO};
use super::scim_client::{
    self, Credential, Dialect, ScimClient, ScimExchange, created_id, deactivate_ops, entra_compliant_replay,
    entra_legacy_replays, group_document, member_add_ops, member_remove_ops, profile_ops, user_document,
};
use super::story::{FORMER_GROUP, PROMOTED_GROUPS};
use super::{Persona, run};
use crate::connection::url_segment;
use crate::error::{Error, ErrorCode, Result};
use crate::scim::Method;
use crate::sensitive::Sensitive;

/// What the SCIM side of a run needs: the connection's token (from the secret store), the
/// payload shapes, the steps, and the person as the IdP's directory holds her.
#[derive(Debug, Clone)]
pub struct ScimPlan {
    pub token: Sensitive<String>,
    pub dialect: Dialect,
    pub acts: Vec<Act>,
    pub person: Persona,
    /// A hybrid story step (its checks are the step's), or `None` for a scenario.
    pub story_step: Option<super::StoryStep>,
}

/// What the app or CLI does between SCIM requests and sign-ins.
pub trait DemoHost {
    /// An admin deletes the account of `persona` (email) at `connection`.
    fn delete_account(&self, connection: &str, persona: &str) -> impl Future<Output = Result<()>> + Send;
    /// Refused SCIM requests (401) the running server counted for `connection` in the last
    /// minute: kept in memory only, never written (the rule "without a token nothing is written").
    fn scim_rejections(&self, connection: &str) -> u32;
}

/// What a run did: its test logins (in order) and its SCIM exchanges.
#[derive(Debug, Clone, Default)]
pub struct RunLog {
    pub test_logins: Vec<i64>,
    pub scim: Vec<ScimExchange>,
    /// After the bad tokens: the server's in-memory count of refused requests.
    pub rejections: Option<u32>,
}

fn no_such(what: &str) -> Error {
    Error::new(ErrorCode::Io, format!("the demo SCIM client found no {what} at the endpoint"))
}

/// Runs `prepared`: a plain sign-in, or its SCIM plan's steps in order.
pub async fn drive_run(base_url: &str, prepared: &PreparedScenario, host: &impl DemoHost) -> Result<RunLog> {
    let Some(plan) = &prepared.scim else {
        return Ok(RunLog { test_logins: vec![run::drive(base_url, prepared).await?], ..RunLog::default() });
    };
    let base = base_url.trim_end_matches('/');
    let endpoint = format!("{base}/scim/{}/v2", url_segment(&prepared.connection));
    let client = ScimClient::new(&endpoint, plan.token.clone(), plan.dialect)?;
    // The sign-ins are the happy path: the SCIM side makes the difference.
    let sign_in = PreparedScenario { scenario: ScenarioId::Happy, scim: None, ..prepared.clone() };
    let mut log = RunLog::default();
    let p = &plan.person;
    for act in &plan.acts {
        match act {
            Act::SignIn => log.test_logins.push(run::drive(base_url, &sign_in).await?),
            Act::Provision => {
                provision(&client, p, &mut log.scim).await?;
            }
            Act::Promote => {
                let id = user_id(&client, p, &mut log.scim).await?;
                log.scim.push(
                    client.patch("push the promotion", &format!("/Users/{id}"), profile_ops(p, client.dialect)).await?,
                );
                leave_group(&client, FORMER_GROUP, &id, &mut log.scim).await?;
                for g in PROMOTED_GROUPS {
                    join_group(&client, g, &id, &p.display_name, &mut log.scim).await?;
                }
            }
            Act::MoveToEngineering => {
                let id = user_id(&client, p, &mut log.scim).await?;
                leave_group(&client, ROLLBACK_FROM, &id, &mut log.scim).await?;
                join_group(&client, ROLLBACK_TO, &id, &p.display_name, &mut log.scim).await?;
            }
            Act::Deactivate => {
                let id = user_id(&client, p, &mut log.scim).await?;
                log.scim
                    .push(client.patch("deactivate", &format!("/Users/{id}"), deactivate_ops(client.dialect)).await?);
            }
            Act::Delete => {
                let id = user_id(&client, p, &mut log.scim).await?;
                log.scim.push(client.send("delete", Method::Delete, &format!("/Users/{id}"), None).await?);
            }
            Act::AdminDeletesAccount => host.delete_account(&prepared.connection, &p.email).await?,
            Act::BadTokens => {
                let doc = user_document(p, client.dialect);
                for (what, credential) in
                    [("create with a wrong token", Credential::Wrong), ("create without a token", Credential::Missing)]
                {
                    log.scim.push(client.send_as(what, Method::Post, "/Users", Some(&doc), &credential, &[]).await?);
                }
                log.rejections = Some(host.scim_rejections(&prepared.connection));
            }
            Act::EntraReplays => entra_replays(&client, &endpoint, &plan.token, p, &mut log.scim).await?,
        }
    }
    Ok(log)
}

/// Exists-check, create, then each of her groups.
async fn provision(client: &ScimClient, p: &Persona, log: &mut Vec<ScimExchange>) -> Result<String> {
    let (x, found) = client.find("Users", "userName", &p.email).await?;
    log.push(x);
    let id = match found {
        Some(id) => id,
        None => {
            let what = format!("create {}", p.display_name);
            let x = client.send(&what, Method::Post, "/Users", Some(&user_document(p, client.dialect))).await?;
            let id = created_id(&x);
            log.push(x);
            id.ok_or_else(|| no_such("created user id"))?
        }
    };
    for g in &p.groups {
        join_group(client, g, &id, &p.display_name, log).await?;
    }
    Ok(id)
}

async fn user_id(client: &ScimClient, p: &Persona, log: &mut Vec<ScimExchange>) -> Result<String> {
    let (x, found) = client.find("Users", "userName", &p.email).await?;
    log.push(x);
    found.ok_or_else(|| no_such(&format!("user {}", p.email)))
}

/// Puts the user in `group`: the group found by name gets a member, or is created with her.
async fn join_group(
    client: &ScimClient,
    group: &str,
    id: &str,
    display: &str,
    log: &mut Vec<ScimExchange>,
) -> Result<()> {
    let (x, found) = client.find("Groups", "displayName", group).await?;
    log.push(x);
    let what = format!("add to {group}");
    let x = match found {
        Some(gid) => {
            client.patch(&what, &format!("/Groups/{gid}"), member_add_ops(client.dialect, id, display)).await?
        }
        None => client.send(&what, Method::Post, "/Groups", Some(&group_document(group, &[(id, display)]))).await?,
    };
    log.push(x);
    Ok(())
}

async fn leave_group(client: &ScimClient, group: &str, id: &str, log: &mut Vec<ScimExchange>) -> Result<()> {
    let (x, found) = client.find("Groups", "displayName", group).await?;
    log.push(x);
    if let Some(gid) = found {
        let what = format!("remove from {group}");
        log.push(client.patch(&what, &format!("/Groups/{gid}"), member_remove_ops(client.dialect, id)).await?);
    }
    Ok(())
}

/// Entra ID's shapes, in the order its provisioning cycle sends them.
async fn entra_replays(
    legacy: &ScimClient,
    endpoint: &str,
    token: &Sensitive<String>,
    p: &Persona,
    log: &mut Vec<ScimExchange>,
) -> Result<()> {
    // "Test connection": a random userName must give an empty list.
    let (x, _) = legacy.find("Users", "userName", "5b0e7c1d-0000-4000-8000-entra-probe").await?;
    log.push(x);
    let id = provision(legacy, p, log).await?;
    let user = format!("/Users/{id}");
    for (what, ops) in entra_legacy_replays(p) {
        log.push(legacy.patch(what, &user, ops).await?);
    }
    // The same tenant with the flag: every URL carries ?aadOptscim062020.
    let flagged = ScimClient::new(endpoint, token.clone(), Dialect::EntraCompliant)?;
    log.push(
        flagged.patch("path-less replace, keys are paths (aadOptscim062020)", &user, entra_compliant_replay(p)).await?,
    );
    // Member removal by a value list (no filter), then the string boolean.
    let (x, group) = legacy.find("Groups", "displayName", FORMER_GROUP).await?;
    log.push(x);
    if let Some(gid) = group {
        let what = "remove member by a value list";
        log.push(legacy.patch(what, &format!("/Groups/{gid}"), member_remove_ops(Dialect::EntraLegacy, &id)).await?);
    }
    log.push(legacy.patch("deactivate with the string \"False\"", &user, deactivate_ops(Dialect::EntraLegacy)).await?);
    log.push(legacy.send("read back", Method::Get, &user, None).await?);
    Ok(())
}

/// The last document a run read back (`GET /Users/{id}`), for the scenario's expected document.
pub fn last_read(log: &RunLog) -> Option<&Value> {
    log.scim
        .iter()
        .rev()
        .find(|x| x.method == Method::Get && x.path.starts_with("/Users/"))
        .and_then(|x| x.body.as_ref())
}

pub use scim_client::entra_expected_document;

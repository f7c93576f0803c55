//! "Reset demo data": the demo's users, test logins, requests and SCIM rows (resources,
//! tombstones, request log; SCIM stays on with its token) removed, the `demo-strict`
//! helper removed, the demo connection's policy and mapping and the demo IdP's people and
//! settings back to their defaults; one transaction and one audit row.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::Workbench;
use super::audit::{self, AdminChange};
use super::demo::DemoReset;
use crate::connection::Connection;
use crate::connection::SecurityPolicy;
use crate::demo::{
    DEMO_CONNECTION, DEMO_IDP_ENTITY_ID, DEMO_OIDC_CONNECTION, DEMO_STRICT_CONNECTION, SignMode, demo_mapping, op,
};
use crate::directory::AdminAction;
use crate::error::Result;
use crate::secrets;
use crate::store;

impl Workbench {
    /// Resets the demo data: default personas and IdP settings (style and key stay), the
    /// demo connections' (SAML and `demo-oidc`) users, test logins and pending requests removed, its mapping and
    /// policy back to the demo defaults, and the `demo-strict` copy removed. The audit log
    /// is append-only and keeps its rows.
    pub fn reset_demo(&self, now: DateTime<Utc>) -> Result<DemoReset> {
        let identity = self.demo_identity(now)?;
        let is_demo = |c: &crate::connection::Connection| c.idp.entity_id == DEMO_IDP_ENTITY_ID;
        let mut users_removed = 0u32;
        let mut test_logins_removed = 0u32;
        // One transaction and one audit row for the whole reset.
        let tx = self.store().write()?;
        let mut diff = Vec::new();
        for name in [DEMO_CONNECTION, DEMO_STRICT_CONNECTION, DEMO_OIDC_CONNECTION] {
            let Ok(c) = store::connections::get(&tx, name) else { continue };
            if !is_demo(&c) && !is_demo_op(&c) {
                continue; // someone's own connection of that name: not demo data
            }
            let (users, logins) = clear_accounts(&tx, &c)?;
            users_removed += users;
            test_logins_removed += logins;
            let scim = store::demo::clear_scim(&tx, c.id)?;
            if scim > 0 {
                diff.push(audit::change(&format!("{name}.scim_resources_removed"), Value::Null, scim));
            }
        }
        diff.splice(
            0..0,
            [
                audit::change("users_removed", Value::Null, users_removed),
                audit::change("test_logins_removed", Value::Null, test_logins_removed),
            ],
        );
        let strict_removed = store::connections::get(&tx, DEMO_STRICT_CONNECTION).ok().filter(is_demo).is_some();
        if strict_removed {
            store::connections::remove(&tx, DEMO_STRICT_CONNECTION)?;
            diff.push(audit::change("connections", DEMO_STRICT_CONNECTION, Value::Null));
        }
        let demo = store::connections::get(&tx, DEMO_CONNECTION).ok().filter(is_demo);
        if let Some(c) = &demo {
            if c.policy != SecurityPolicy::default() {
                diff.extend(audit::diff_of("policy", &c.policy, &SecurityPolicy::default())?);
                let reset = crate::connection::Connection { policy: SecurityPolicy::default(), ..c.clone() };
                store::connections::update(&tx, &reset, now)?;
            }
            let mapping = demo_mapping(identity.style);
            let before = store::mappings::get_mapping(&tx, c.id)?.unwrap_or_default();
            if before != mapping {
                diff.extend(audit::diff_of("mapping", &before, &mapping)?);
                store::mappings::set_mapping(&tx, c.id, &mapping, now)?;
            }
        }
        let before = store::demo::identity(&tx)?;
        if let Some(b) = before.filter(|b| b.sign != SignMode::default() || b.encrypt) {
            diff.extend(audit::diff_of("demo_idp.sign", &b.sign, &SignMode::default())?);
            diff.extend(audit::diff_of("demo_idp.encrypt", &b.encrypt, &false)?);
        }
        store::demo::save_settings(&tx, identity.style, SignMode::default(), false, now)?;
        store::demo::restore_default_personas(&tx, now)?;
        let personas = u32::try_from(store::demo::personas(&tx)?.len()).unwrap_or(u32::MAX);
        diff.push(audit::change("personas", Value::Null, format!("{personas} default personas")));
        let change = AdminChange {
            action: AdminAction::DemoReset,
            connection: demo.as_ref().map(|c| (c.name.clone(), c.id)),
            user: None,
            message: "Reset the demo data".to_owned(),
            diff,
        };
        self.record_admin(&tx, change, now)?;
        tx.commit()?;
        if strict_removed {
            // After the commit, as removing a connection does: a keyring that cannot be reached
            // must not undo the reset.
            let _ = self.secrets().delete(&secrets::sp_key(DEMO_STRICT_CONNECTION));
        }
        Ok(DemoReset { users_removed, test_logins_removed, personas })
    }
}

/// A connection to the built-in demo IdP (SAML) or demo OP (OIDC): its accounts are demo data.
pub(super) fn is_demo_data(c: &Connection) -> bool {
    c.idp.entity_id == DEMO_IDP_ENTITY_ID || is_demo_op(c)
}

/// The OIDC demo connection: `demo-oidc` at the built-in demo OP (on any port).
pub(super) fn is_demo_op(c: &Connection) -> bool {
    c.name == DEMO_OIDC_CONNECTION && c.oidc.as_ref().is_some_and(|o| o.issuer.ends_with(op::PATH))
}

/// Removes a demo connection's accounts, test logins and pending requests (demo data: the
/// demo IdP's people sign in through both protocols with the same addresses, so an account
/// left behind by one would collide with the other's first login). Returns (users, logins).
pub(super) fn clear_accounts(tx: &store::WriteTx<'_>, c: &Connection) -> Result<(u32, u32)> {
    let mut users = 0u32;
    for u in store::users::list_users(tx, Some(&c.name), None)? {
        if store::users::delete_user(tx, u.id)? {
            users += 1;
        }
    }
    let logins = store::logins::delete_test_logins_of(tx, &c.name)?;
    store::logins::delete_requests_of(tx, c.id)?;
    store::oidc::delete_requests_of(tx, c.id)?;
    Ok((users, logins))
}

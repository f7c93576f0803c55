//! The catalog's subcommands: `connection`, `mapping` and `users`. Each makes one core
//! call and prints.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use handshake::Error;
use handshake::connection::SignatureRequirement;
use handshake::directory::{UserQuery, UserStatus};
use handshake::provision::MappingDocument;
use handshake::sensitive::Sensitive;
use handshake::workbench::{ImportRequest, Workbench};

use super::args::{ConnectionCommand, MappingCommand, SetPolicyArgs, UsersCommand};
use super::input::{read_file, read_metadata};
use super::json::emit;
use super::print::{cert_summary, print_connection, print_mapping, print_policy, print_user};

pub fn connection(wb: &Workbench, cmd: ConnectionCommand, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    match cmd {
        ConnectionCommand::Import { name, metadata, entity_id, sp_entity_id, acs_url, json } => {
            let (metadata_xml, source) = read_metadata(&metadata)?;
            let outcome = wb.import_connection(
                &ImportRequest { name, metadata_xml, source, entity_id, sp_entity_id, acs_url },
                now,
            )?;
            emit(json, &outcome, |outcome| {
                for w in &outcome.warnings {
                    eprintln!("warning [{}]: {}", w.code, w.message);
                }
                print_connection(&outcome.connection, now);
                if outcome.vendor.preset {
                    println!(
                        "\nDetected {}: its mapping preset is applied (handshake mapping show --connection {}).",
                        outcome.vendor.label, outcome.connection.name
                    );
                }
                println!(
                    "\nNext: give the IdP the SP metadata: handshake connection sp-metadata --name {}",
                    outcome.connection.name
                );
            })?;
        }
        ConnectionCommand::SetSpKey { name, key, cert } => {
            let key_pem = Sensitive::new(read_file(&key)?);
            let cert_pem = read_file(&cert)?;
            let view = wb.set_sp_key(&name, key_pem, &cert_pem, now)?;
            let fp = view.sp.certificate.as_ref().map(|c| c.sha256_fingerprint.clone()).unwrap_or_default();
            println!("SP key for {} replaced; certificate SHA-256 {fp}", view.name);
        }
        ConnectionCommand::List { json } => {
            emit(json, &wb.list_connections(now)?, |list| {
                if list.is_empty() {
                    println!("No connections. Import one: handshake connection import --name NAME --metadata FILE|URL");
                    return;
                }
                println!("{:<24} {:<60} CERTIFICATES", "NAME", "IDP ENTITY ID");
                for c in list {
                    let last = match &c.oidc {
                        Some(o) => format!("OIDC, redirect URI {}", o.redirect_uri),
                        None => cert_summary(c, now),
                    };
                    println!("{:<24} {:<60} {last}", c.name, c.idp_entity_id);
                    if let Some(note) = handshake::demo::helper_note(&c.name, &c.idp_entity_id) {
                        println!("  {note}");
                    }
                }
            })?;
        }
        ConnectionCommand::Show { name, json } => {
            emit(json, &wb.connection(&name, now)?, |c| {
                print_connection(c, now);
                // Shown when the catalog knows it (a failure here is not the connection's).
                if let Ok(status) = wb.scim_status(&c.name) {
                    super::scim::print_status(&status);
                }
            })?;
        }
        ConnectionCommand::Remove { name, json } => {
            emit(json, &wb.remove_connection(&name, now)?, |outcome| {
                println!("Removed connection {}", outcome.name);
                if let Some(w) = &outcome.warning {
                    eprintln!("warning: {w}");
                }
            })?;
        }
        ConnectionCommand::SpMetadata { name } => print!("{}", wb.sp_metadata(&name)?),
        ConnectionCommand::AddOidc(args) => super::oidc_connection::add_oidc(wb, args, now)?,
        ConnectionCommand::Rediscover { name, apply, json } => {
            super::oidc_connection::rediscover(wb, &name, apply, json, now)?
        }
        ConnectionCommand::SetOidc(args) => super::oidc_connection::set_oidc(wb, args, now)?,
        ConnectionCommand::Export { name } => println!("{}", wb.export_connection(&name)?),
        ConnectionCommand::SetPolicy(args) => set_policy(wb, args, now)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn set_policy(wb: &Workbench, args: SetPolicyArgs, now: DateTime<Utc>) -> Result<(), Error> {
    /// A flag left out keeps the field's value.
    fn set<T>(field: &mut T, flag: Option<T>) {
        if let Some(v) = flag {
            *field = v;
        }
    }
    let mut policy = wb.connection(&args.name, now)?.policy;
    set(&mut policy.allow_sha1, args.allow_sha1);
    set(&mut policy.clock_skew_seconds, args.clock_skew_seconds);
    set(&mut policy.allow_idp_initiated, args.allow_idp_initiated);
    set(&mut policy.require_encrypted_assertion, args.require_encrypted_assertion);
    set(&mut policy.sign_authn_requests, args.sign_authn_requests);
    set(&mut policy.allow_missing_destination, args.allow_missing_destination);
    if let Some(v) = args.signature.as_deref() {
        policy.signature = match v {
            "response" => SignatureRequirement::Response,
            "assertion" => SignatureRequirement::Assertion,
            "both" => SignatureRequirement::Both,
            _ => SignatureRequirement::AssertionOrResponse,
        };
    }
    let view = wb.set_policy(&args.name, policy, now)?;
    emit(args.json, &view.policy, |policy| {
        println!("Security policy of {} saved:", view.name);
        print_policy(policy);
    })
}

pub fn mapping(wb: &Workbench, cmd: MappingCommand, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    match cmd {
        MappingCommand::Show { connection, json } => {
            emit(json, &wb.mapping(&connection)?, |doc| print_mapping(&connection, doc))?;
        }
        MappingCommand::Set { connection, file } => {
            let text =
                String::from_utf8(read_file(&file)?).map_err(|_| Error::invalid("the mapping file is not UTF-8"))?;
            let doc: MappingDocument = serde_json::from_str(&text)
                .map_err(|e| Error::invalid(format!("the mapping is not a valid mapping document: {e}")))?;
            wb.set_mapping(&connection, &doc, now)?;
            println!(
                "Mapping of {connection} saved ({} fields, {} role rules)",
                doc.fields.len(),
                doc.roles.rules.len()
            );
        }
        MappingCommand::Preset { connection, preset } => {
            let doc = wb.apply_preset(&connection, &preset, now)?;
            println!("Applied the {preset} preset to {connection}:");
            print_mapping(&connection, &doc);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn users(wb: &Workbench, cmd: UsersCommand, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    match cmd {
        UsersCommand::List { connection, json } => {
            emit(json, &wb.users(&UserQuery { connection, text: None })?, |list| {
                if list.is_empty() {
                    println!("No users yet.");
                    return;
                }
                println!("{:<6} {:<34} {:<26} {:<12} {:<8} LOGINS", "ID", "EMAIL", "NAME", "STATUS", "SOURCE");
                for u in list {
                    println!(
                        "{:<6} {:<34} {:<26} {:<12} {:<8} {}",
                        u.id,
                        u.email.as_deref().unwrap_or("-"),
                        u.display_name.as_deref().unwrap_or("-"),
                        format!("{:?}", u.status).to_lowercase(),
                        format!("{:?}", u.source).to_lowercase(),
                        u.login_count
                    );
                }
            })?
        }
        UsersCommand::Show { id, json } => emit(json, &wb.user(id)?, print_user)?,
        UsersCommand::Deactivate { id, json } => {
            emit(json, &wb.set_user_status(id, UserStatus::Deactivated, now)?, print_user)?;
        }
        UsersCommand::Activate { id, json } => {
            emit(json, &wb.set_user_status(id, UserStatus::Active, now)?, print_user)?
        }
        UsersCommand::Delete { id, json } => {
            wb.delete_user(id, now)?;
            emit(json, &serde_json::json!({ "deleted": id }), |_| println!("Deleted user {id}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

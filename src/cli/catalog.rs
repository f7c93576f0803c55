//! The catalog's subcommands: `connection`, `mapping` and `users`. Each makes one core
//! call and prints.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use handshake::Error;
use handshake::connection::SignatureRequirement;
use handshake::provision::{MappingDocument, UserStatus};
use handshake::sensitive::Sensitive;
use handshake::workbench::{ImportRequest, Workbench};

use super::args::{ConnectionCommand, MappingCommand, SetPolicyArgs, UsersCommand};
use super::input::{read_file, read_metadata};
use super::json::to_json;
use super::print::{cert_summary, print_connection, print_mapping, print_policy, print_user};

pub fn connection(wb: &Workbench, cmd: ConnectionCommand, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    match cmd {
        ConnectionCommand::Import { name, metadata, entity_id, sp_entity_id, acs_url, json } => {
            let (metadata_xml, source) = read_metadata(&metadata)?;
            let outcome = wb.import_connection(
                &ImportRequest { name, metadata_xml, source, entity_id, sp_entity_id, acs_url },
                now,
            )?;
            if json {
                println!("{}", to_json(&outcome)?);
            } else {
                for w in &outcome.warnings {
                    eprintln!("warning [{}]: {}", w.code, w.message);
                }
                print_connection(&outcome.connection, now);
                println!(
                    "\nNext: give the IdP the SP metadata: handshake connection sp-metadata --name {}",
                    outcome.connection.name
                );
            }
        }
        ConnectionCommand::SetSpKey { name, key, cert } => {
            let key_pem = Sensitive::new(read_file(&key)?);
            let cert_pem = read_file(&cert)?;
            let view = wb.set_sp_key(&name, key_pem, &cert_pem, now)?;
            let fp = view.sp.certificate.as_ref().map(|c| c.sha256_fingerprint.clone()).unwrap_or_default();
            println!("SP key for {} replaced; certificate SHA-256 {fp}", view.name);
        }
        ConnectionCommand::List { json } => {
            let list = wb.list_connections()?;
            if json {
                println!("{}", to_json(&list)?);
            } else if list.is_empty() {
                println!("No connections. Import one: handshake connection import --name NAME --metadata FILE|URL");
            } else {
                println!("{:<24} {:<60} CERTIFICATES", "NAME", "IDP ENTITY ID");
                for c in &list {
                    println!("{:<24} {:<60} {}", c.name, c.idp_entity_id, cert_summary(c, now));
                }
            }
        }
        ConnectionCommand::Show { name, json } => {
            let c = wb.connection(&name)?;
            if json {
                println!("{}", to_json(&c)?);
            } else {
                print_connection(&c, now);
            }
        }
        ConnectionCommand::Remove { name, json } => {
            let outcome = wb.remove_connection(&name)?;
            if json {
                println!("{}", to_json(&outcome)?);
            } else {
                println!("Removed connection {}", outcome.name);
                if let Some(w) = outcome.warning {
                    eprintln!("warning: {w}");
                }
            }
        }
        ConnectionCommand::SpMetadata { name } => print!("{}", wb.sp_metadata(&name)?),
        ConnectionCommand::SetPolicy(args) => set_policy(wb, args, now)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn set_policy(wb: &Workbench, args: SetPolicyArgs, now: DateTime<Utc>) -> Result<(), Error> {
    let mut policy = wb.connection(&args.name)?.policy;
    if let Some(v) = args.allow_sha1 {
        policy.allow_sha1 = v;
    }
    if let Some(v) = args.clock_skew_seconds {
        policy.clock_skew_seconds = v;
    }
    if let Some(v) = args.allow_idp_initiated {
        policy.allow_idp_initiated = v;
    }
    if let Some(v) = args.require_encrypted_assertion {
        policy.require_encrypted_assertion = v;
    }
    if let Some(v) = args.sign_authn_requests {
        policy.sign_authn_requests = v;
    }
    if let Some(v) = args.allow_missing_destination {
        policy.allow_missing_destination = v;
    }
    if let Some(v) = args.signature.as_deref() {
        policy.signature = match v {
            "response" => SignatureRequirement::Response,
            "assertion" => SignatureRequirement::Assertion,
            "both" => SignatureRequirement::Both,
            _ => SignatureRequirement::AssertionOrResponse,
        };
    }
    let view = wb.set_policy(&args.name, policy, now)?;
    if args.json {
        println!("{}", to_json(&view.policy)?);
    } else {
        println!("Security policy of {} saved:", view.name);
        print_policy(&view.policy);
    }
    Ok(())
}

pub fn mapping(wb: &Workbench, cmd: MappingCommand, now: DateTime<Utc>) -> Result<ExitCode, Error> {
    match cmd {
        MappingCommand::Show { connection, json } => {
            let doc = wb.mapping(&connection)?;
            if json {
                println!("{}", to_json(&doc)?);
            } else {
                print_mapping(&connection, &doc);
            }
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
    let (user, json) = match cmd {
        UsersCommand::List { connection, json } => {
            let list = wb.users(connection.as_deref())?;
            if json {
                println!("{}", to_json(&list)?);
            } else if list.is_empty() {
                println!("No users yet.");
            } else {
                println!("{:<6} {:<34} {:<26} {:<12} {:<8} LOGINS", "ID", "EMAIL", "NAME", "STATUS", "SOURCE");
                for u in &list {
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
            }
            return Ok(ExitCode::SUCCESS);
        }
        UsersCommand::Show { id, json } => (wb.user(id)?, json),
        UsersCommand::Deactivate { id, json } => (wb.set_user_status(id, UserStatus::Deactivated, now)?, json),
        UsersCommand::Activate { id, json } => (wb.set_user_status(id, UserStatus::Active, now)?, json),
        UsersCommand::Delete { id, json } => {
            wb.delete_user(id)?;
            if json {
                println!("{}", to_json(&serde_json::json!({ "deleted": id }))?);
            } else {
                println!("Deleted user {id}");
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    if json {
        println!("{}", to_json(&user)?);
    } else {
        print_user(&user);
    }
    Ok(ExitCode::SUCCESS)
}

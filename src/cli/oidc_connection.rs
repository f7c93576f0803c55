//! `connection add-oidc`: fetch the OP's discovery document (or take endpoints typed by
//! hand) and its JWKS with the bounded client, then one core call; and how an OIDC
//! connection prints.

use std::io::Read as _;

use chrono::{DateTime, Utc};
use handshake::oidc::ClientAuth;
use handshake::oidc::discovery::Typed;
use handshake::oidc::http::{fetch_discovery_text, fetch_jwks};
use handshake::sensitive::Sensitive;
use handshake::workbench::{AddOidc, ConnectionView, ManualEndpoints, OidcSource, OidcView, Workbench};
use handshake::{Error, ErrorCode};

use super::args::{AddOidcArgs, SetOidcArgs};
use super::json::emit;

/// A runtime for the fetches (the CLI is otherwise synchronous).
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot start the network runtime: {e}")))
}

/// The client secret from stdin, without its line ending.
fn secret_from_stdin() -> Result<Sensitive<String>, Error> {
    let mut buf = String::new();
    std::io::stdin()
        .read_to_string(&mut buf)
        .map_err(|e| Error::new(ErrorCode::Io, format!("cannot read the client secret from stdin: {e}")))?;
    let secret = buf.trim_end_matches(['\r', '\n']).to_owned();
    if secret.is_empty() {
        return Err(Error::invalid("--client-secret-stdin read an empty client secret"));
    }
    Ok(Sensitive::new(secret))
}

pub fn add_oidc(wb: &Workbench, args: AddOidcArgs, now: DateTime<Utc>) -> Result<(), Error> {
    let client_secret = if args.client_secret_stdin { Some(secret_from_stdin()?) } else { None };
    let client_auth = args.client_auth.as_deref().map(client_auth_arg);
    let scopes = args.scopes.as_deref().map(|s| s.split_whitespace().map(str::to_owned).collect());
    let rt = runtime()?;
    let (source, jwks_json) = match &args.issuer {
        Some(issuer) => {
            let typed = Typed::parse(issuer);
            let text = rt.block_on(fetch_discovery_text(&typed))?;
            // Checked here for the jwks_uri to fetch; the core checks it again.
            let discovered = handshake::oidc::discovery::check(&text, &typed)?;
            let (jwks, _) = rt.block_on(fetch_jwks(&discovered.jwks_uri))?;
            (OidcSource::Discovery { typed_url: issuer.clone(), discovery_json: text }, jwks)
        }
        None => {
            let manual = ManualEndpoints {
                issuer: args.issuer_id.clone().unwrap_or_default(),
                authorization_endpoint: args.authorization_endpoint.clone().unwrap_or_default(),
                token_endpoint: args.token_endpoint.clone().unwrap_or_default(),
                jwks_uri: args.jwks_uri.clone().unwrap_or_default(),
                userinfo_endpoint: args.userinfo_endpoint.clone(),
            };
            let (jwks, _) = rt.block_on(fetch_jwks(&manual.jwks_uri))?;
            (OidcSource::Manual(manual), jwks)
        }
    };
    let request = AddOidc {
        name: args.name,
        source,
        jwks_json: Some(jwks_json),
        client_id: args.client_id,
        client_secret,
        client_auth,
        scopes,
    };
    let view = wb.add_oidc_connection(&request, now)?;
    emit(args.json, &view, |c| {
        super::print::print_connection(c, now);
        if let Some(o) = &c.oidc {
            println!("\nNext: register this redirect URI at the OP: {}", o.redirect_uri);
        }
    })
}

pub fn print_oidc_connection(c: &ConnectionView, o: &OidcView) {
    println!("Connection {} (OpenID Connect)", c.name);
    println!("  issuer:        {}", o.issuer);
    match &o.discovery_url {
        Some(url) => println!("  discovery:     {url}"),
        None => println!("  discovery:     none (endpoints typed by hand)"),
    }
    println!("  authorization: {}", o.authorization_endpoint);
    println!("  token:         {}", o.token_endpoint);
    if let Some(u) = &o.userinfo_endpoint {
        println!("  userinfo:      {u}{}", if o.call_userinfo { "" } else { " (not called)" });
    }
    println!(
        "  JWKS:          {} (keys: {})",
        o.jwks_uri,
        if o.jwks_kids.is_empty() { "none cached".to_owned() } else { o.jwks_kids.join(", ") }
    );
    println!("  client ID:     {} ({})", o.client_id, o.client_auth.as_str());
    println!("  scopes:        {}", o.scopes.join(" "));
    println!("  algorithms:    {}", o.allowed_algs.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", "));
    if !o.trusted_audiences.is_empty() {
        println!("  audiences:     {} (besides the client ID)", o.trusted_audiences.join(", "));
    }
    println!("  redirect URI:  {}", o.redirect_uri);
    println!("  clock skew:    {} s", c.policy.clock_skew_seconds);
}

/// A `--client-auth` value (clap allows only the three).
fn client_auth_arg(a: &str) -> ClientAuth {
    match a {
        "client_secret_post" => ClientAuth::ClientSecretPost,
        "none" => ClientAuth::None,
        _ => ClientAuth::ClientSecretBasic,
    }
}

fn list_arg(value: &str, separator: char) -> Vec<String> {
    value.split(separator).map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned).collect()
}

pub fn rediscover(wb: &Workbench, name: &str, apply: bool, json: bool, now: DateTime<Utc>) -> Result<(), Error> {
    let typed = wb.rediscover_target(name)?;
    let rt = runtime()?;
    let text = rt.block_on(fetch_discovery_text(&typed))?;
    let changes = wb.rediscover_preview(name, &text)?;
    if !apply {
        return emit(json, &changes, |changes| {
            if changes.is_empty() {
                println!("The discovery document of {name} has not changed.");
            }
            for ch in changes {
                println!("{}:\n  before: {}\n  after:  {}", ch.field, ch.before, ch.after);
            }
            if !changes.is_empty() {
                println!("\nSave it: handshake connection rediscover --name {name} --apply");
            }
        });
    }
    let discovered = handshake::oidc::discovery::check(&text, &typed)?;
    let (jwks, _) = rt.block_on(fetch_jwks(&discovered.jwks_uri))?;
    let view = wb.replace_discovery(name, &text, Some(&jwks), now)?;
    emit(json, &view, |c| super::print::print_connection(c, now))
}

pub fn set_oidc(wb: &Workbench, args: SetOidcArgs, now: DateTime<Utc>) -> Result<(), Error> {
    let allowed_algs = args
        .allowed_algs
        .as_deref()
        .map(|v| {
            list_arg(v, ',')
                .iter()
                .map(|a| {
                    handshake::oidc::Alg::parse(a).ok_or_else(|| {
                        Error::invalid(format!("--allowed-algs: {a:?} is not an algorithm Handshake verifies (RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, HS256, HS384, HS512)"))
                    })
                })
                .collect::<Result<Vec<_>, Error>>()
        })
        .transpose()?;
    if args.client_secret_stdin {
        wb.set_oidc_client_secret(&args.name, Some(secret_from_stdin()?), now)?;
    }
    let patch = handshake::workbench::OidcSettingsPatch {
        client_id: args.client_id,
        client_auth: args.client_auth.as_deref().map(client_auth_arg),
        scopes: args.scopes.as_deref().map(|s| list_arg(s, ' ')),
        allowed_algs,
        trusted_audiences: args.trusted_audiences.as_deref().map(|s| list_arg(s, ',')),
        call_userinfo: args.call_userinfo,
        redirect_host: args.redirect_host.as_deref().map(|h| {
            if h == "localhost" {
                handshake::oidc::RedirectHost::Localhost
            } else {
                handshake::oidc::RedirectHost::Loopback
            }
        }),
        clock_skew_seconds: args.clock_skew_seconds,
    };
    let view = wb.set_oidc_settings(&args.name, &patch, now)?;
    let view = if args.remove_client_secret { wb.set_oidc_client_secret(&args.name, None, now)? } else { view };
    emit(args.json, &view, |c| super::print::print_connection(c, now))
}

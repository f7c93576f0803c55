//! The command line's grammar (clap): flags, subcommands and what they default to. The
//! catalog, secret store and port resolve through `handshake::options`, as the app's do.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use handshake::Result;
use handshake::options::{Given, OpenOptions};
use handshake::secrets::SecretStoreKind;

#[derive(Parser)]
#[command(name = "handshake", version, about = "A workbench for SAML SSO connections")]
pub struct Cli {
    /// The SQLite catalog (default: HANDSHAKE_DB, else the user data directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Where secrets live: keyring, file:DIR or memory (default: HANDSHAKE_SECRET_STORE, else keyring).
    #[arg(long, global = true, value_name = "STORE")]
    pub secret_store: Option<SecretStoreKind>,
    /// Port of the embedded SP; SP URLs that were not set explicitly derive from it (default:
    /// HANDSHAKE_PORT, else 7777).
    #[arg(long, global = true)]
    pub port: Option<u16>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Manage connections (IdP metadata + SP settings + policy).
    #[command(subcommand)]
    Connection(ConnectionCommand),
    /// Validate a SAMLResponse for a connection, explaining every check. No side effects.
    ///
    /// A response captured elsewhere (production, a SAML tracer) is judged as a capture with
    /// --capture, --as-addressed or --at response: the same analysis as the app's "Analyze a
    /// captured SAMLResponse", with fixes that fit a capture and a dry run of provisioning
    /// (nothing is written). The connection's SP values are never changed.
    Verify(VerifyArgs),
    /// Validate the same response N times and report validations per second.
    Bench(BenchArgs),
    /// Attribute mapping, role and access rules, provisioning policy of a connection.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Validate, map and provision a response (JIT); --dry-run writes nothing.
    Provision(ProvisionArgs),
    /// Judge an OpenID Connect ID token for an OIDC connection with its cached JWKS,
    /// explaining every check. No side effects.
    VerifyIdToken(VerifyIdTokenArgs),
    /// Judge, map and provision an ID token (JIT); --dry-run writes nothing.
    ProvisionIdToken(ProvisionIdTokenArgs),
    /// The provisioned users.
    #[command(subcommand)]
    Users(UsersCommand),
    /// The audit log: login attempts and admin actions.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// A connection's SCIM 2.0 endpoint (the IdP pushes users and groups): turn it on or off,
    /// rotate its bearer token, read its request log and reports, set its lifecycle policy.
    #[command(subcommand)]
    Scim(ScimCommand),
    /// Run the embedded SP on 127.0.0.1 (test logins from a browser, the SCIM endpoints),
    /// logging each login and SCIM request.
    Serve,
    /// The built-in demo IdP: create (or reuse) it and the `demo` connection and serve them;
    /// or run one failure scenario headless; or list the scenarios and personas.
    Demo(DemoArgs),
}

#[derive(Subcommand)]
pub enum ScimCommand {
    /// Turn the connection's SCIM endpoint on with a new bearer token, and print the endpoint
    /// and the token (shown this once: `rotate-token` makes a new one).
    Enable {
        #[arg(long)]
        connection: String,
        /// The lifecycle policy to set at the same time (default: keep the current one).
        #[arg(long, value_parser = ["jit", "scim", "hybrid"])]
        policy: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Turn the endpoint off: every request gets 401; the SCIM users and groups stay.
    Disable {
        #[arg(long)]
        connection: String,
        #[arg(long)]
        json: bool,
    },
    /// Replace the bearer token (the old one stops working at once) and print the new one, once.
    RotateToken {
        #[arg(long)]
        connection: String,
        #[arg(long)]
        json: bool,
    },
    /// The endpoint's request log, newest first (bodies with secrets redacted).
    Log {
        #[arg(long)]
        connection: String,
        /// How many requests (at most 500 are kept).
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Where JIT and SCIM disagree: JIT accounts SCIM does not know, SCIM users who never
    /// signed in, and login claims that differ from SCIM's values.
    Report {
        #[arg(long)]
        connection: String,
        #[arg(long)]
        json: bool,
    },
    /// Show or change the lifecycle policy and field ownership; flags left out keep their value.
    Policy(ScimPolicyArgs),
}

#[derive(Args)]
pub struct ScimPolicyArgs {
    #[arg(long)]
    pub connection: String,
    /// jit: logins create accounts (SCIM writes are last-writer); scim: only SCIM creates
    /// accounts; hybrid: both, with SCIM's deactivations and field owners enforced at login.
    #[arg(long, value_parser = ["jit", "scim", "hybrid"])]
    pub policy: Option<String>,
    /// Hybrid: JIT creates only subjects SCIM has provisioned.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub jit_requires_scim: Option<bool>,
    /// Which SCIM attribute carries the login subject.
    #[arg(long, value_parser = ["external_id", "user_name"])]
    pub match_rule: Option<String>,
    /// FIELD=OWNER (owner: scim, login, last_writer; `FIELD=default` removes the field's
    /// entry); repeat for more fields. Fields: email, username, given_name, family_name,
    /// display_name, groups, status, custom.NAME.
    #[arg(long, value_name = "FIELD=OWNER")]
    pub owner: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct DemoArgs {
    /// Run this scenario through the real HTTP endpoints (on a free loopback port) and print the result.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(handshake::demo::ScenarioId::names()))]
    pub scenario: Option<String>,
    /// Who signs in: a persona's email or id (default: the first active persona).
    #[arg(long, requires = "scenario")]
    pub persona: Option<String>,
    /// For clock-skew: how many minutes the IdP's clock is ahead (default 5).
    #[arg(long, requires = "scenario", allow_negative_numbers = true)]
    pub skew_minutes: Option<i64>,
    /// Claim names and XML shape of this IdP (switches the demo IdP and the demo mapping; SAML only).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(handshake::demo::DemoStyle::names()))]
    pub style: Option<String>,
    /// Run one step of the joiner-mover-leaver story (its change at the demo IdP, in hybrid
    /// its SCIM requests, then the person's sign-in) through the real HTTP endpoints and print
    /// the result; without a STEP, the whole story from its start, each step's verdict.
    #[arg(long, value_name = "STEP", num_args = 0..=1, default_missing_value = "all", value_parser = clap::builder::PossibleValuesParser::new(story_values()), conflicts_with = "scenario")]
    pub story: Option<String>,
    /// The story's mode: JIT alone (the default), or hybrid (SCIM pre-provisions and de-provisions).
    #[arg(long, value_parser = ["jit", "hybrid"], default_value = "jit", requires = "story")]
    pub mode: String,
    /// List the scenarios, personas and the story.
    #[arg(long, conflicts_with_all = ["scenario", "reset", "story"])]
    pub list: bool,
    /// Reset the demo data: default personas, the demo connection's users and test logins removed.
    #[arg(long, conflicts_with_all = ["scenario", "story"])]
    pub reset: bool,
    /// Which demo connection to create and serve: `saml` (the demo IdP and `demo`, the
    /// default) or `oidc` (the demo OpenID Provider and `demo-oidc`).
    #[arg(long, value_parser = ["saml", "oidc"], default_value = "saml", conflicts_with_all = ["scenario", "story", "list", "reset", "style"])]
    pub protocol: String,
    #[arg(long)]
    pub json: bool,
}

fn story_values() -> Vec<&'static str> {
    let mut v = handshake::demo::StoryStep::names();
    v.push("all");
    v
}

#[derive(Subcommand)]
pub enum MappingCommand {
    Show {
        #[arg(long)]
        connection: String,
        #[arg(long)]
        json: bool,
    },
    /// Replace the whole mapping document (the JSON `mapping show --json` prints).
    Set {
        #[arg(long)]
        connection: String,
        #[arg(long, value_name = "MAPPING.json|-")]
        file: PathBuf,
    },
    /// Fill the mapping with an IdP's default claims.
    Preset {
        #[arg(long)]
        connection: String,
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(handshake::vendor::preset_ids()))]
        preset: String,
    },
}

#[derive(Args)]
pub struct ProvisionArgs {
    #[command(flatten)]
    pub response: ResponseArgs,
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum UsersCommand {
    List {
        #[arg(long)]
        connection: Option<String>,
        #[arg(long)]
        json: bool,
    },
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    Deactivate {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    Activate {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    Delete {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    List {
        #[arg(long)]
        connection: Option<String>,
        /// Only entries at or after this instant (RFC 3339).
        #[arg(long, value_name = "RFC3339")]
        since: Option<String>,
        #[arg(long, value_parser = ["json", "csv"], default_value = "json")]
        format: String,
        /// Only login attempts, or only admin actions (who changed what, with the diff).
        #[arg(long, value_parser = ["login", "admin"])]
        kind: Option<String>,
        /// Only this admin action (connection_import, mapping_change, user_deactivate...).
        #[arg(long)]
        action: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum ConnectionCommand {
    /// Import IdP metadata from a file, a URL, or - (stdin).
    Import {
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "FILE|URL|-")]
        metadata: String,
        /// Which IdP of an aggregate (EntitiesDescriptor) to import.
        #[arg(long)]
        entity_id: Option<String>,
        #[arg(long, value_name = "URL")]
        sp_entity_id: Option<String>,
        #[arg(long, value_name = "URL")]
        acs_url: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Add an OpenID Connect connection: from the OP's issuer (discovery), or from its
    /// endpoints typed by hand. The JWKS is fetched either way.
    AddOidc(AddOidcArgs),
    /// Fetch an OIDC connection's discovery document and JWKS again: shows what changed,
    /// and saves it with --apply.
    Rediscover {
        #[arg(long)]
        name: String,
        #[arg(long)]
        apply: bool,
        #[arg(long)]
        json: bool,
    },
    /// Change an OIDC connection's client, scopes, algorithms or secret; flags left out keep
    /// their value.
    SetOidc(SetOidcArgs),
    /// Print a connection as a JSON file (no private key, no client secret).
    Export { name: String },
    /// Use your own SP key and certificate (PEM) instead of the generated pair.
    SetSpKey {
        #[arg(long)]
        name: String,
        #[arg(long, value_name = "KEY.pem")]
        key: PathBuf,
        #[arg(long, value_name = "CERT.pem")]
        cert: PathBuf,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    Show {
        name: String,
        #[arg(long)]
        json: bool,
    },
    Remove {
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Print the SP metadata XML to upload to the IdP.
    SpMetadata {
        #[arg(long)]
        name: String,
    },
    /// Change the security policy; flags left out keep their value.
    SetPolicy(SetPolicyArgs),
}

#[derive(Args)]
pub struct AddOidcArgs {
    #[arg(long)]
    pub name: String,
    /// The OP's issuer (or its /.well-known/openid-configuration URL): discovery.
    #[arg(long, value_name = "URL", required_unless_present = "authorization_endpoint")]
    pub issuer: Option<String>,
    #[arg(long, value_name = "URL", conflicts_with = "issuer", requires_all = ["token_endpoint", "jwks_uri", "issuer_id"])]
    pub authorization_endpoint: Option<String>,
    #[arg(long, value_name = "URL", conflicts_with = "issuer")]
    pub token_endpoint: Option<String>,
    #[arg(long, value_name = "URL", conflicts_with = "issuer")]
    pub jwks_uri: Option<String>,
    #[arg(long, value_name = "URL", conflicts_with = "issuer")]
    pub userinfo_endpoint: Option<String>,
    /// The issuer identifier exactly as the OP's ID tokens name it (with endpoints by hand).
    #[arg(long, value_name = "ID", conflicts_with = "issuer")]
    pub issuer_id: Option<String>,
    #[arg(long, value_name = "ID")]
    pub client_id: String,
    /// Read the client secret from stdin (never from a flag: it would be in the shell history).
    #[arg(long)]
    pub client_secret_stdin: bool,
    /// How to authenticate at the token endpoint (default: client_secret_basic with a secret,
    /// none without; private_key_jwt makes the connection's key pair and shows its public JWK).
    #[arg(long, value_parser = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"])]
    pub client_auth: Option<String>,
    /// Space-separated scopes (default "openid email profile", plus what the preset adds:
    /// "groups" for Okta and the demo).
    #[arg(long)]
    pub scopes: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct SetOidcArgs {
    #[arg(long)]
    pub name: String,
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    #[arg(long, value_parser = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"])]
    pub client_auth: Option<String>,
    /// Space-separated scopes ("openid" among them).
    #[arg(long)]
    pub scopes: Option<String>,
    /// Comma-separated JWS algorithms an ID token may use (RS256,PS256,ES256...; never none).
    #[arg(long, value_name = "ALGS")]
    pub allowed_algs: Option<String>,
    /// Comma-separated audiences besides the client ID ("" for none).
    #[arg(long, value_name = "AUDS")]
    pub trusted_audiences: Option<String>,
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub call_userinfo: Option<bool>,
    #[arg(long, value_parser = ["127.0.0.1", "localhost"])]
    pub redirect_host: Option<String>,
    #[arg(long, value_name = "N")]
    pub clock_skew_seconds: Option<u32>,
    /// Read a new client secret from stdin.
    #[arg(long, conflicts_with = "remove_client_secret")]
    pub client_secret_stdin: bool,
    #[arg(long)]
    pub remove_client_secret: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct SetPolicyArgs {
    #[arg(long)]
    pub name: String,
    /// Accept RSA-SHA1 signatures and SHA-1 digests (legacy IdPs only).
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_sha1: Option<bool>,
    /// Tolerance for clock differences between IdP and SP, in seconds (at most 600).
    #[arg(long, value_name = "N")]
    pub clock_skew_seconds: Option<u32>,
    /// Accept unsolicited (IdP-initiated) responses.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_idp_initiated: Option<bool>,
    /// Refuse responses whose assertion is not encrypted.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub require_encrypted_assertion: Option<bool>,
    /// Which signatures an accepted response must carry.
    #[arg(long, value_parser = ["either", "response", "assertion", "both"])]
    pub signature: Option<String>,
    /// Accept a signed Response without a Destination (SAML bindings require one).
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_missing_destination: Option<bool>,
    /// Sign AuthnRequests even when the IdP does not ask for it.
    #[arg(long, value_name = "BOOL", value_parser = clap::builder::BoolishValueParser::new())]
    pub sign_authn_requests: Option<bool>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Clone)]
pub struct ResponseArgs {
    #[arg(long)]
    pub connection: String,
    /// File with the SAMLResponse (base64 as posted, or the decoded XML); - for stdin.
    #[arg(long, value_name = "FILE")]
    pub response: PathBuf,
    /// Instant to judge time against (RFC 3339); default now. `verify --at response` judges
    /// a capture at its own IssueInstant.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// ID of the outstanding AuthnRequest; without it the response must be unsolicited.
    #[arg(long, value_name = "ID")]
    pub in_response_to: Option<String>,
}

#[derive(Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub response: ResponseArgs,
    /// Judge it as a captured response (implied by --as-addressed and --at response): fixes
    /// that fit a capture, the response's own InResponseTo accepted as outstanding, a dry run
    /// of provisioning, another connection named when its IdP sent the response.
    #[arg(long, conflicts_with = "in_response_to")]
    pub capture: bool,
    /// Judge the capture as the SP it was addressed to: its Audience and Destination (or
    /// Recipient) taken from the response, unless --sp-entity-id / --acs-url give them.
    #[arg(long, conflicts_with = "in_response_to")]
    pub as_addressed: bool,
    /// With --as-addressed: the SP entityID (Audience) to judge it as.
    #[arg(long, value_name = "URL", requires = "as_addressed")]
    pub sp_entity_id: Option<String>,
    /// With --as-addressed: the ACS URL (Destination and Recipient) to judge it as.
    #[arg(long, value_name = "URL", requires = "as_addressed")]
    pub acs_url: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct IdTokenArgs {
    #[arg(long)]
    pub connection: String,
    /// File with the ID token (the compact JWS, `eyJ...`); - for stdin.
    #[arg(long, value_name = "FILE")]
    pub token: PathBuf,
    /// Instant to judge time against (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// The nonce the login request sent; without it the nonce check is skipped.
    #[arg(long, value_name = "N")]
    pub nonce: Option<String>,
}

#[derive(Args)]
pub struct VerifyIdTokenArgs {
    #[command(flatten)]
    pub token: IdTokenArgs,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ProvisionIdTokenArgs {
    #[command(flatten)]
    pub token: IdTokenArgs,
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub response: ResponseArgs,
    #[arg(long)]
    pub iterations: u64,
    #[arg(long)]
    pub json: bool,
}

impl Cli {
    /// The flags given, then `HANDSHAKE_*` variables, then the defaults.
    pub fn options(&self) -> Result<OpenOptions> {
        OpenOptions::resolve(Given { db: self.db.clone(), secret_store: self.secret_store.clone(), port: self.port })
    }
}

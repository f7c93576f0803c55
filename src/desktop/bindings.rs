//! The TypeScript declarations of every type the desktop app exchanges with the UI,
//! written to `ui/src/lib/generated/types.ts`; a test fails when that file is stale.

use ts_rs::TS;

use crate::workbench::demo as demo_api;
use crate::{
    certs, connection, demo, directory, error, login, metadata, oidc, provision, scim, validate, vendor, workbench,
};

/// Where the UI keeps the generated file, relative to the repository root.
pub const PATH: &str = "ui/src/lib/generated/types.ts";

macro_rules! declarations {
    ($($t:ty),* $(,)?) => {
        vec![$(<$t as TS>::decl()),*]
    };
}

/// The whole file.
pub fn typescript() -> String {
    use super::oidc::*;
    use super::views::*;
    let decls = declarations![
        error::Error,
        error::ErrorCode,
        AppStatus,
        ServerStatus,
        workbench::ConnectionSummary,
        workbench::TestStatus,
        workbench::CertificateExpiry,
        workbench::ExpiryLevel,
        vendor::Vendor,
        workbench::ConnectionView,
        workbench::SpView,
        connection::Protocol,
        workbench::OidcView,
        workbench::OidcPreview,
        oidc::Alg,
        oidc::ClientAuth,
        oidc::client_key::ClientJwk,
        oidc::RedirectHost,
        OidcDiscovery,
        JwksFetched,
        JwkInfo,
        OidcAddRequest,
        OidcManualEndpoints,
        OidcSettingsChange,
        RediscoverPreview,
        workbench::ImportRequest,
        workbench::ImportOutcome,
        workbench::RemoveOutcome,
        workbench::ProvisionReport,
        connection::Endpoint,
        connection::IdpDescriptor,
        connection::SecurityPolicy,
        connection::SignatureRequirement,
        certs::Certificate,
        metadata::MetadataWarning,
        metadata::IdpSummary,
        metadata::AggregateInfo,
        workbench::MetadataPreview,
        workbench::IdpPreview,
        workbench::ReimportPreview,
        workbench::MetadataChange,
        workbench::PresetInfo,
        workbench::MappingPreview,
        provision::MappingDocument,
        provision::FieldRule,
        provision::Source,
        provision::Transform,
        provision::rules::Roles,
        provision::rules::RoleRule,
        provision::rules::Op,
        provision::rules::NoMatch,
        provision::rules::Access,
        provision::rules::Provisioning,
        provision::Lifecycle,
        provision::LifecyclePolicy,
        provision::MatchRule,
        provision::Owner,
        provision::UpdatePolicy,
        provision::RoleSync,
        provision::Trace,
        provision::OwnershipNote,
        provision::rules::RuleTrace,
        provision::rules::AccessTrace,
        provision::mapping::FieldTrace,
        provision::mapping::StepTrace,
        provision::mapping::CandidateTrace,
        provision::MappingFix,
        provision::Claims,
        login::Outcome,
        login::Stop,
        login::DenialCode,
        login::StoppedBy,
        login::Summary,
        directory::User,
        directory::Identity,
        directory::UserStatus,
        directory::UserSource,
        directory::FieldChange,
        directory::AuditEntry,
        validate::Verdict,
        validate::CheckResult,
        validate::Problem,
        validate::CheckId,
        validate::CheckStatus,
        validate::NameId,
        validate::Attribute,
        login::TestLogin,
        login::TestLoginSummary,
        login::LoginKind,
        workbench::TestLoginDetail,
        workbench::XmlLine,
        workbench::AnalyzeResult,
        workbench::JudgingContext,
        workbench::JudgeAs,
        workbench::JudgeAt,
        workbench::Judged,
        workbench::JudgedValue<String>,
        workbench::ValueSource,
        workbench::ResponseAddressing,
        directory::UserQuery,
        workbench::UserDetail,
        directory::AuditQuery,
        directory::AuditKind,
        directory::AdminAction,
        directory::ScimAction,
        workbench::AuditFormat,
        demo::DemoStyle,
        demo::SignMode,
        demo_api::DemoIdpView,
        demo_api::DemoIdpSettings,
        demo_api::DemoSetup,
        demo_api::DemoCatalog,
        demo_api::DemoReset,
        demo::Persona,
        demo::ExtraAttribute,
        demo::ScenarioId,
        demo_api::ScenarioInfo,
        demo_api::ScenarioRequest,
        demo_api::ScenarioResult,
        demo::Flow,
        demo::DemoVerdict,
        demo::Expected,
        demo::StoryStep,
        demo::story::StoryStepView,
        demo::DemoStory,
        demo_api::StoryStepResult,
        scim::Method,
        scim::ScimType,
        scim::ResourceKind,
        scim::ScimRequestSummary,
        workbench::ScimStatus,
        crate::server::scim_auth::Rejections,
        super::ScimTokenIssued,
        workbench::ScimReport,
        workbench::ReportUser,
        workbench::Disagreement,
        demo::StoryMode,
        demo::scim_client::ScimExchange,
        demo_api::DemoCheck,
        crate::workbench::demo_story::StoryRun,
    ];
    let mut out = String::from(
        "// Generated from the Rust types by `handshake::desktop::bindings` (feature `typescript`).\n\
         // Do not edit: run `HANDSHAKE_UPDATE_BINDINGS=1 cargo test --all-features bindings` instead.\n",
    );
    // serde_json::Value (audit diffs hold JSON values).
    out.push_str(
        "\nexport type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;\n",
    );
    for d in decls {
        out.push('\n');
        out.push_str("export ");
        // Ids and counts stay far below 2^53 and JSON.parse yields plain numbers.
        out.push_str(&d.replace("bigint", "number"));
        out.push('\n');
    }
    // The rules the UI applies before asking the core, defined once there.
    out.push_str(&format!(
        "\n/** Connection names: at most this many characters, matching NAME_PATTERN (src/connection.rs). */\n\
         export const CONNECTION_NAME_MAX_LEN = {};\n\
         export const CONNECTION_NAME_PATTERN = {:?};\n\
         \n/** A certificate expiring within this many days is \"soon\" (src/workbench/connections.rs). */\n\
         export const EXPIRY_WARNING_DAYS = {};\n",
        crate::connection::NAME_MAX_LEN,
        crate::connection::NAME_PATTERN,
        crate::workbench::connections::EXPIRY_WARNING_DAYS,
    ));
    let styles: Vec<String> = crate::demo::DemoStyle::ALL
        .iter()
        .map(|s| format!("{{ id: {:?}, label: {:?} }}", s.as_str(), s.label()))
        .collect();
    out.push_str(&format!(
        "\n/** The demo IdP's styles, each imitating a product of the vendor registry (src/vendor.rs). */\n\
         export const DEMO_STYLES: {{ id: DemoStyle; label: string }}[] = [{}];\n",
        styles.join(", ")
    ));
    out
}

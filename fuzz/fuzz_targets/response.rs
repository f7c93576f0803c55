//! Response parsing and validation: the input is tried as the posted (base64) SAMLResponse
//! and, base64-encoded, as the raw Response XML, against a fixed IdP/SP context.
#![no_main]

use std::ffi::{c_char, c_int, c_void};
use std::sync::OnceLock;

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use handshake::certs::Certificate;
use handshake::connection::{SecurityPolicy, SpEndpoints};
use handshake::sensitive::Sensitive;
use handshake::validate::{Context, validate};
use libfuzzer_sys::fuzz_target;
use openssl::pkey::{PKey, Private};

// xmlsec and libxml2 (linked through samael) print every verification and C14N failure to
// stderr, which would drown libFuzzer's output and slow the loop down: mute both.
unsafe extern "C" {
    fn xmlSecErrorsDefaultCallbackEnableOutput(enabled: c_int);
    /// A null handler selects libxml2's default one, which writes to `ctx` as a `FILE *`.
    fn xmlSetGenericErrorFunc(ctx: *mut c_void, handler: *const c_void);
    fn fopen(path: *const c_char, mode: *const c_char) -> *mut c_void;
}

fn mute_c_libraries() {
    // SAFETY: both calls set plain globals (libxml2's are per thread: this is the fuzzing
    // thread); the FILE stays open for the life of the process.
    unsafe {
        xmlSecErrorsDefaultCallbackEnableOutput(0);
        let devnull = fopen(c"/dev/null".as_ptr(), c"w".as_ptr());
        if !devnull.is_null() {
            xmlSetGenericErrorFunc(devnull, std::ptr::null());
        }
    }
}

const IDP_ENTITY_ID: &str = "https://idp.handshake.test/saml/metadata";

struct Fixed {
    certs: Vec<Certificate>,
    sp: SpEndpoints,
    policy: SecurityPolicy,
    key: Sensitive<PKey<Private>>,
    now: DateTime<Utc>,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| {
        mute_c_libraries();
        let pems: [&[u8]; 2] = [
            include_bytes!("../../tests/fixtures/keys/idp.crt"),
            include_bytes!("../../tests/fixtures/keys/idp-ec.crt"),
        ];
        let certs = pems.iter().map(|p| Certificate::from_pem(p).expect("fixture certificate")).collect();
        let key = PKey::private_key_from_pem(include_bytes!("../../tests/fixtures/keys/sp.key")).expect("fixture SP key");
        Fixed {
            certs,
            sp: SpEndpoints {
                entity_id: "https://app.example.com/saml/metadata".into(),
                acs_url: "https://app.example.com/saml/acs".into(),
            },
            policy: SecurityPolicy::default(),
            key: Sensitive::new(key),
            now: Utc.with_ymd_and_hms(2026, 1, 15, 10, 1, 0).single().expect("valid instant"),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixed();
    let key_source = || Ok(f.key.clone());
    let ctx = Context {
        idp_entity_id: IDP_ENTITY_ID,
        signing_certificates: &f.certs,
        sp: &f.sp,
        policy: &f.policy,
        decryption_key: Some(&key_source),
        now: f.now,
        in_response_to: None,
        expired_request: None,
        judging: Default::default(),
    };
    let text = String::from_utf8_lossy(data);
    // As posted: the input is the base64 form value.
    let _ = validate(&text, &ctx);
    // As XML: the input is the decoded Response.
    let posted = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let _ = validate(&posted, &ctx);
});

//! What is suspicious but does not prevent an import: [`MetadataWarning`], and the
//! collector that caps how many of each code a document can produce.

use serde::Serialize;

/// Something suspicious that does not prevent the import.
///
/// Codes: `certificate_expired`, `certificate_expiring`, `certificate_not_yet_valid`,
/// `valid_until_passed`, `valid_until_invalid`, `entity_id_not_uri`, `entity_id_too_long`,
/// `no_browser_sso_binding`, `no_redirect_binding`, `duplicate_certificate`,
/// `unknown_key_use`, `key_without_certificate`, `certificate_pem_armored`, `certificate_base64_pem`,
/// `slo_endpoint_skipped`, `too_many_certificates`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(ts_rs::TS))]
pub struct MetadataWarning {
    pub code: &'static str,
    pub message: String,
}

impl MetadataWarning {
    fn new(code: &'static str, message: String) -> Self {
        MetadataWarning { code, message }
    }
}

/// Collects warnings, keeping at most [`MAX_WARNINGS_PER_CODE`] of each code so that a
/// hostile document cannot produce millions of them.
#[derive(Default)]
pub(super) struct Warnings {
    list: Vec<MetadataWarning>,
    suppressed: std::collections::HashMap<&'static str, usize>,
    counts: std::collections::HashMap<&'static str, usize>,
}

const MAX_WARNINGS_PER_CODE: usize = 20;

impl Warnings {
    pub(super) fn push(&mut self, code: &'static str, message: String) {
        let count = self.counts.entry(code).or_insert(0);
        *count += 1;
        if *count > MAX_WARNINGS_PER_CODE {
            *self.suppressed.entry(code).or_insert(0) += 1;
        } else {
            self.list.push(MetadataWarning::new(code, message));
        }
    }

    pub(super) fn finish(mut self) -> Vec<MetadataWarning> {
        let mut suppressed: Vec<(&'static str, usize)> = self.suppressed.into_iter().collect();
        suppressed.sort_unstable();
        for (code, n) in suppressed {
            self.list.push(MetadataWarning::new(code, format!("... and {n} more {code} warnings like the ones above")));
        }
        self.list
    }
}

//! RFC 7644 §3.4.2.2 filters: `userName eq "bjensen"`, `emails[type eq "work" and value co
//! "@example.com"]`, `meta.lastModified gt "2011-05-13T04:42:34Z"`, `not (title pr)`. Parsed
//! by recursive descent with a length and depth bound and an error position; evaluated over a
//! stored document following the schema's `caseExact` (helper proto owns this file).
//!
//! Grammar (keywords, operators and attribute names without regard to case; whitespace around
//! tokens is optional where the next token is unambiguous):
//! ```text
//! filter    = and *("or" and)
//! and       = unary *("and" unary)
//! unary     = "not" "(" filter ")" / "(" filter ")" / attrExp / valuePath
//! attrExp   = path "pr" / path compareOp compValue
//! path      = attrPath / attrPath "[" filter "]" ["." subAttr]   ; the latter as in Entra's
//!                                                                ; emails[type eq "work"].value
//! attrPath  = [URN ":"] ATTRNAME ["." subAttr]
//! compValue = false / null / true / number / string              ; JSON, with its escapes
//! ```

mod eval;

use serde_json::Value;

use super::schema::Attribute;
use super::{ResourceKind, ScimError, ScimType};

/// Longest filter we parse, in bytes.
pub const MAX_LENGTH: usize = 4096;
/// Deepest nesting of parentheses, `not` and value filters.
pub const MAX_DEPTH: usize = 32;

/// A parsed filter (the AST is this module's business; consumers parse, then match).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub(crate) expr: Expr,
}

/// The comparison operators of §3.4.2.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<CompareOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

/// An attribute path as written: `urn:…:User:name.givenName`, `emails[type eq "work"].value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub filter: Option<Box<Expr>>,
    pub sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Present(AttrPath),
    Compare(AttrPath, CompareOp, Value),
    /// `emails[type eq "work"]`: some element matches.
    Has(AttrPath),
}

/// Parses a filter; `invalidFilter` (400) with the position on any error.
pub fn parse(text: &str) -> Result<Filter, ScimError> {
    let mut p = Parser::new(text, ScimType::InvalidFilter)?;
    let expr = p.filter()?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.error("expected \"and\", \"or\" or the end of the filter"));
    }
    Ok(Filter { expr })
}

impl Filter {
    /// Whether `document` (a full stored resource of `kind`, with `id` and `meta`) matches.
    pub fn matches(&self, kind: ResourceKind, document: &Value) -> bool {
        eval::matches(&self.expr, kind, document)
    }

    /// The combinations the grammar allows but the schema does not (`active gt true`,
    /// `active co "t"`): `invalidFilter`. `matches` treats them as not matching.
    pub fn check(&self, kind: ResourceKind) -> Result<(), ScimError> {
        eval::check(&self.expr, kind)
    }
}

/// Reads an `attrPath` (used by `sortBy`, `attributes` and PATCH paths too).
pub(crate) fn parse_attr_path(text: &str, error_type: ScimType) -> Result<AttrPath, ScimError> {
    let mut p = Parser::new(text, error_type)?;
    p.skip_ws();
    let path = p.path()?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.error("unexpected text after the attribute path"));
    }
    Ok(path)
}

/// Whether one element of the multi-valued `parent` matches a value filter (PATCH paths).
pub(crate) fn matches_element(expr: &Expr, parent: &'static Attribute, element: &Value) -> bool {
    eval::matches_element(expr, parent, element)
}

/// The sort key of `document` at `path` (the primary or first value of a multi-valued one).
pub(crate) fn sort_key<'a>(path: &AttrPath, kind: ResourceKind, document: &'a Value) -> Option<(&'a Value, bool)> {
    eval::sort_key(path, kind, document)
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'$' | b':' | b'.')
}

pub(crate) struct Parser<'a> {
    pub src: &'a str,
    pub pos: usize,
    depth: usize,
    error_type: ScimType,
}

impl<'a> Parser<'a> {
    pub fn new(src: &'a str, error_type: ScimType) -> Result<Self, ScimError> {
        let p = Parser { src, pos: 0, depth: 0, error_type };
        if src.len() > MAX_LENGTH {
            return Err(ScimError::bad_request(
                error_type,
                format!("the expression is {} bytes long; at most {MAX_LENGTH} are accepted", src.len()),
            ));
        }
        if src.trim().is_empty() {
            return Err(p.error("the expression is empty"));
        }
        Ok(p)
    }

    pub fn error(&self, what: &str) -> ScimError {
        let column = self.src.get(..self.pos).map_or(self.pos, |s| s.chars().count());
        let near: String = self.src.get(self.pos..).unwrap_or_default().chars().take(16).collect();
        let near = if near.is_empty() { "the end".to_owned() } else { format!("{near:?}") };
        let kind = if self.error_type == ScimType::InvalidFilter { "filter" } else { "path" };
        ScimError::bad_request(self.error_type, format!("invalid {kind} at position {column} (near {near}): {what}"))
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    pub fn skip_ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn word(&mut self) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(is_name_char) {
            self.pos += 1;
        }
        self.src.get(start..self.pos).unwrap_or_default()
    }

    /// The next word, without consuming it.
    fn peek_word(&mut self) -> &'a str {
        let start = self.pos;
        let w = self.word();
        self.pos = start;
        w
    }

    fn enter(&mut self) -> Result<(), ScimError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn expect(&mut self, b: u8) -> Result<(), ScimError> {
        self.skip_ws();
        if self.peek() != Some(b) {
            return Err(self.error(&format!("expected {:?}", char::from(b))));
        }
        self.pos += 1;
        Ok(())
    }

    fn filter(&mut self) -> Result<Expr, ScimError> {
        let mut left = self.and()?;
        loop {
            self.skip_ws();
            if !self.peek_word().eq_ignore_ascii_case("or") {
                return Ok(left);
            }
            self.word();
            let right = self.and()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
    }

    fn and(&mut self) -> Result<Expr, ScimError> {
        let mut left = self.unary()?;
        loop {
            self.skip_ws();
            if !self.peek_word().eq_ignore_ascii_case("and") {
                return Ok(left);
            }
            self.word();
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, ScimError> {
        self.skip_ws();
        if self.peek() == Some(b'(') {
            self.pos += 1;
            self.enter()?;
            let inner = self.filter()?;
            self.expect(b')')?;
            self.depth -= 1;
            return Ok(inner);
        }
        if self.peek_word().eq_ignore_ascii_case("not") {
            let start = self.pos;
            self.word();
            self.skip_ws();
            if self.peek() == Some(b'(') {
                self.pos += 1;
                self.enter()?;
                let inner = self.filter()?;
                self.expect(b')')?;
                self.depth -= 1;
                return Ok(Expr::Not(Box::new(inner)));
            }
            self.pos = start;
        }
        self.attr_exp()
    }

    fn attr_exp(&mut self) -> Result<Expr, ScimError> {
        let path = self.path()?;
        self.skip_ws();
        let at = self.pos;
        let op = self.word();
        if path.filter.is_some()
            && path.sub.is_none()
            && CompareOp::parse(op).is_none()
            && !op.eq_ignore_ascii_case("pr")
        {
            self.pos = at;
            return Ok(Expr::Has(path));
        }
        if op.eq_ignore_ascii_case("pr") {
            return Ok(Expr::Present(path));
        }
        let Some(op) = CompareOp::parse(op) else {
            self.pos = at;
            return Err(self.error("expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"));
        };
        self.skip_ws();
        let value = self.comp_value()?;
        Ok(Expr::Compare(path, op, value))
    }

    fn comp_value(&mut self) -> Result<Value, ScimError> {
        let start = self.pos;
        if self.peek() == Some(b'"') {
            self.pos += 1;
            loop {
                match self.peek() {
                    None => {
                        self.pos = start;
                        return Err(self.error("unterminated string"));
                    }
                    Some(b'\\') => self.pos += 2,
                    Some(b'"') => break,
                    Some(_) => self.pos += 1,
                }
            }
            self.pos += 1;
            let literal = self.src.get(start..self.pos).unwrap_or_default();
            return serde_json::from_str::<Value>(literal).map_err(|_| {
                self.pos = start;
                self.error("invalid string (JSON escapes only)")
            });
        }
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')) {
            self.pos += 1;
        }
        let literal = self.src.get(start..self.pos).unwrap_or_default();
        let value = match literal.to_ascii_lowercase().as_str() {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" => Some(Value::Null),
            _ => serde_json::from_str::<serde_json::Number>(literal).ok().map(Value::Number),
        };
        value.ok_or_else(|| {
            self.pos = start;
            self.error("expected a value: a quoted string, a number, true, false or null")
        })
    }

    /// `attrPath` with an optional `[valFilter]` and `.subAttr` after it.
    pub fn path(&mut self) -> Result<AttrPath, ScimError> {
        let start = self.pos;
        let word = self.word();
        let mut path = self.split_path(word, start)?;
        if self.peek() == Some(b'[') {
            if path.sub.is_some() {
                return Err(self.error("a value filter follows the attribute, not its sub-attribute"));
            }
            self.pos += 1;
            self.enter()?;
            let inner = self.filter()?;
            self.expect(b']')?;
            self.depth -= 1;
            path.filter = Some(Box::new(inner));
            if self.peek() == Some(b'.') {
                self.pos += 1;
                let at = self.pos;
                let sub = self.word();
                if !is_attr_name(sub) {
                    self.pos = at;
                    return Err(self.error("expected a sub-attribute name"));
                }
                path.sub = Some(sub.to_owned());
            }
        }
        Ok(path)
    }

    fn split_path(&mut self, word: &str, start: usize) -> Result<AttrPath, ScimError> {
        let (urn, rest) = match word.get(..4) {
            Some(prefix) if prefix.eq_ignore_ascii_case("urn:") => match word.rfind(':') {
                Some(i) => (word.get(..i).map(str::to_owned), word.get(i + 1..).unwrap_or_default()),
                None => (None, word),
            },
            _ => (None, word),
        };
        let (name, sub) = match rest.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (rest, None),
        };
        if !is_attr_name(name) || sub.is_some_and(|s| !is_attr_name(s)) {
            self.pos = start;
            return Err(self.error("expected an attribute path"));
        }
        Ok(AttrPath { urn, name: name.to_owned(), filter: None, sub: sub.map(str::to_owned) })
    }
}

/// `ATTRNAME = ALPHA *(ALPHA / DIGIT / "-" / "_")`, plus `$ref`.
fn is_attr_name(s: &str) -> bool {
    let mut bytes = s.bytes();
    if s == "$ref" {
        return true;
    }
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        let f = parse(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap();
        assert!(matches!(f.expr, Expr::Or(_, ref r) if matches!(**r, Expr::And(..))));
    }

    #[test]
    fn errors_carry_the_position() {
        let e = parse(r#"userName eq "x" and"#).unwrap_err();
        assert_eq!(e.scim_type, Some(ScimType::InvalidFilter));
        assert!(e.detail.contains("position 19"), "{}", e.detail);
        let e = parse(r#"userName zz "x""#).unwrap_err();
        assert!(e.detail.contains("position 9"), "{}", e.detail);
    }

    #[test]
    fn urn_paths_split_at_the_last_colon() {
        let p = parse_attr_path("urn:ietf:params:scim:schemas:core:2.0:User:name.givenName", ScimType::InvalidPath)
            .unwrap();
        assert_eq!(p.urn.as_deref(), Some("urn:ietf:params:scim:schemas:core:2.0:User"));
        assert_eq!((p.name.as_str(), p.sub.as_deref()), ("name", Some("givenName")));
    }
}

//! Test support: a real OpenID Provider (npm `oidc-provider`, tests/e2e/oidc-provider/op.mjs)
//! on a free loopback port, and a browser-like HTTP client that walks its real login and
//! consent pages. Used by e2e_oidc.rs (a hand-written RP) and by the tests that log in through
//! Handshake's own RP routes (`/oidc/{name}/login` → OP → `/oidc/{name}/callback`).
//!
//! The OP's node_modules are installed by scripts/test.sh (`npm ci --prefix tests/e2e/oidc-provider`).
#![allow(dead_code)] // each user of the harness takes the parts it needs

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

/// How long the OP may take to print its issuer (node start, RSA key generation).
const STARTUP: Duration = Duration::from_secs(30);
/// Hops (redirects and form posts) a login may take before the walk gives up.
const MAX_HOPS: usize = 20;
/// The password typed on the OP's login page (its dev login page accepts any).
pub const PASSWORD: &str = "any password";

/// The harness's directory: the OP script and its node_modules.
pub fn op_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/oidc-provider")
}

/// Whether `npm ci --prefix tests/e2e/oidc-provider` has run.
pub fn installed() -> bool {
    op_dir().join("node_modules/oidc-provider/package.json").is_file()
}

/// Whether an OIDC end-to-end test runs, with the same gate as e2e.rs: only with
/// HANDSHAKE_E2E=1 (scripts/test.sh sets it after installing the OP). A developer who set it
/// but never ran `npm ci` is told so and skipped; in CI (CI=true) that is a failure instead,
/// because CI's setup installs the OP. Prints the reason whenever it skips.
pub fn ready() -> bool {
    if !std::env::var("HANDSHAKE_E2E").is_ok_and(|v| v == "1") {
        println!("SKIPPED: set HANDSHAKE_E2E=1 (scripts/test.sh does, after installing oidc-provider)");
        return false;
    }
    if installed() {
        return true;
    }
    let fix = "run `npm ci --prefix tests/e2e/oidc-provider` (scripts/test.sh does)";
    assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "oidc-provider is not installed: {fix}");
    println!("SKIPPED: oidc-provider is not installed: {fix}");
    false
}

/// The client registered at the OP (written to client.json).
#[derive(Clone, Debug)]
pub struct OpClient {
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uris: Vec<String>,
    /// `client_secret_basic` (the OP's default here) or `client_secret_post`.
    pub auth_method: String,
}

impl OpClient {
    pub fn new(client_id: &str, client_secret: &str, redirect_uri: &str) -> OpClient {
        OpClient {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uris: vec![redirect_uri.into()],
            auth_method: "client_secret_basic".into(),
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": self.redirect_uris,
            "token_endpoint_auth_method": self.auth_method,
        })
    }
}

/// A running OP; killed (and its state directory removed) on drop.
pub struct Op {
    child: Child,
    pub issuer: String,
    dir: tempfile::TempDir,
}

impl Op {
    /// Starts the OP with this client and users (`{"login": {claims}}`), and waits (bounded)
    /// until it has printed its issuer, which it does once it listens.
    pub fn start(client: &OpClient, users: &Value) -> Op {
        assert!(
            installed(),
            "oidc-provider is not installed: run `npm ci --prefix tests/e2e/oidc-provider` (scripts/test.sh does)"
        );
        let dir = tempfile::tempdir().unwrap();
        write_json(&dir.path().join("client.json"), &client.to_json());
        write_json(&dir.path().join("users.json"), users);
        let stderr = std::fs::File::create(dir.path().join("op.log")).unwrap();
        let mut child = Command::new("node")
            .arg(op_dir().join("op.mjs"))
            .args(["--state-dir", dir.path().to_str().unwrap(), "--port", "0"])
            .current_dir(op_dir())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("node runs (Node.js is needed for the OIDC end-to-end tests)");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(STARTUP).unwrap_or_default();
        let issuer = line.trim().to_owned();
        let mut op = Op { child, issuer, dir };
        if !op.issuer.starts_with("http://127.0.0.1:") {
            let _ = op.child.kill();
            let _ = op.child.wait();
            panic!("the OP did not start within {STARTUP:?}; its log:\n{}", op.log());
        }
        op
    }

    /// The OP's stderr so far (warnings, errors), for assertion messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("op.log")).unwrap_or_default()
    }

    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.issuer)
    }

    /// Replaces the users; read by the OP at its next claims lookup (the next login).
    pub fn set_users(&self, users: &Value) {
        write_json(&self.dir.path().join("users.json"), users);
    }

    /// Replaces the registered client (e.g. another secret) and reloads the OP.
    pub fn set_client(&self, client: &OpClient) {
        write_json(&self.dir.path().join("client.json"), &client.to_json());
        self.reload();
    }

    /// Rebuilds the OP from its files; sessions, grants and codes survive.
    pub fn reload(&self) {
        let res = plain().post(format!("{}/__test/reload", self.issuer)).send().unwrap();
        assert_eq!(res.status(), 204, "reload: {}", self.log());
    }

    /// A new signing key goes first (the previous one stays published); returns its `kid`.
    pub fn rotate(&self) -> String {
        let res = plain().post(format!("{}/__test/rotate", self.issuer)).send().unwrap();
        assert_eq!(res.status(), 200, "rotate: {}", self.log());
        json_of(res)["kid"].as_str().unwrap().to_owned()
    }

    /// The published JWKS's key ids, in order.
    pub fn kids(&self) -> Vec<String> {
        let jwks = json_of(plain().get(format!("{}/jwks", self.issuer)).send().unwrap());
        jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
    }
}

impl Drop for Op {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn write_json(path: &Path, value: &Value) {
    // Atomic, so the OP never reads half a file.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, value.to_string()).unwrap();
    std::fs::rename(tmp, path).unwrap();
}

fn plain() -> Client {
    Client::builder().timeout(Duration::from_secs(10)).build().unwrap()
}

/// A browser: cookie store, no automatic redirects (each hop is seen and checked).
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Walks from `start` (an authorization URL, or a URL that redirects to one, such as
/// Handshake's `/oidc/{name}/login`) through the OP's real pages, signing in as `login` and
/// consenting, following every redirect, until a redirect points at a URL starting with
/// `redirect_prefix`; returns that URL (not fetched). An OP error page, or a page with no
/// form, is an `Err` with the page's text.
pub fn walk_to_redirect(client: &Client, start: &str, login: &str, redirect_prefix: &str) -> Result<String, String> {
    let mut url = start.to_owned();
    let mut post: Option<Vec<(String, String)>> = None;
    for _ in 0..MAX_HOPS {
        let res = match post.take() {
            Some(fields) => client.post(&url).form(&fields).send(),
            None => client.get(&url).send(),
        }
        .map_err(|e| format!("{url}: {e}"))?;
        let status = res.status();
        if status.is_redirection() {
            let location = res
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .ok_or(format!("{url}: {status} without a Location"))?;
            url = reqwest::Url::parse(&url).unwrap().join(location).map_err(|e| e.to_string())?.to_string();
            if url.starts_with(redirect_prefix) {
                return Ok(url);
            }
            continue;
        }
        let page = res.text().unwrap_or_default();
        if !status.is_success() {
            return Err(format!("{url}: {status}: {}", text_of(&page)));
        }
        let action = form_action(&page).ok_or_else(|| format!("{url}: a page with no form: {}", text_of(&page)))?;
        let prompt = hidden(&page, "prompt").unwrap_or_default();
        let fields: Vec<(String, String)> = match prompt.as_str() {
            "login" => vec![
                ("prompt".into(), "login".into()),
                ("login".into(), login.into()),
                ("password".into(), PASSWORD.into()),
            ],
            "consent" => vec![("prompt".into(), "consent".into())],
            other => return Err(format!("{url}: a form for prompt {other:?}: {}", text_of(&page))),
        };
        url = reqwest::Url::parse(&url).unwrap().join(&action).map_err(|e| e.to_string())?.to_string();
        post = Some(fields);
    }
    Err(format!("more than {MAX_HOPS} hops from {start}"))
}

/// Handshake's RP flow end to end: from its login URL (`{sp}/oidc/{name}/login`) through the
/// OP's pages to its callback (`{sp}/oidc/{name}/callback?...`), which is then fetched,
/// following Handshake's own redirects; returns the callback URL and the final response.
pub fn walk_to_callback(client: &Client, login_url: &str, login: &str, callback_prefix: &str) -> (String, Response) {
    let callback = walk_to_redirect(client, login_url, login, callback_prefix).unwrap();
    let res = follow(client, &callback);
    (callback, res)
}

/// GETs `url`, following redirects by hand (bounded); returns the first non-redirect response.
pub fn follow(client: &Client, url: &str) -> Response {
    let mut url = url.to_owned();
    for _ in 0..MAX_HOPS {
        let res = client.get(&url).send().unwrap();
        if !res.status().is_redirection() {
            return res;
        }
        let location = res.headers()["location"].to_str().unwrap().to_owned();
        url = reqwest::Url::parse(&url).unwrap().join(&location).unwrap().to_string();
    }
    panic!("more than {MAX_HOPS} redirects from {url}");
}

/// A response's JSON body (any body that is not JSON fails the test, showing it).
pub fn json_of(res: Response) -> Value {
    let body = res.text().unwrap();
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// A query parameter of a URL.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url).ok()?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#039;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn hidden(page: &str, name: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r#"name="{name}"\s+value="([^"]*)""#)).unwrap();
    re.captures(page).map(|c| unescape(&c[1]))
}

fn form_action(page: &str) -> Option<String> {
    let re = regex::Regex::new(r#"(?s)<form[^>]*?action="([^"]*)""#).unwrap();
    re.captures(page).map(|c| unescape(&c[1]))
}

/// A page's visible text, roughly, for error messages.
fn text_of(page: &str) -> String {
    let re = regex::Regex::new(r"(?s)<style.*?</style>|<script.*?</script>|<[^>]*>").unwrap();
    let text = re.replace_all(page, " ");
    text.split_whitespace().collect::<Vec<_>>().join(" ").chars().take(600).collect()
}

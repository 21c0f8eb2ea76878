//! SASL OAUTHBEARER (RFC 7628, KIP-255, KIP-768) for the group member: the bearer token and the
//! client's first message, from the worker's client settings in librdkafka's names, as the
//! translation in `connect_api::kafka_client` writes them:
//!
//! - `sasl.oauthbearer.method=oidc`: the OAuth 2 client-credentials grant against
//!   `sasl.oauthbearer.token.endpoint.url` (`sasl.oauthbearer.client.id`/`.client.secret` as HTTP
//!   Basic, optional `sasl.oauthbearer.scope`), as Kafka's `OAuthBearerLoginCallbackHandler`
//!   and librdkafka's OIDC refresh do; the access token must be a JWT with `exp` and `sub`.
//!   Extensions come from `sasl.oauthbearer.extensions` (`key=value,...`).
//! - `enable.sasl.oauthbearer.unsecure.jwt=true`: an unsecured JWS (`{"alg":"none"}`) built from
//!   `sasl.oauthbearer.config` (`principal=… scope=a,b lifeSeconds=… extension_NAME=value`)
//!   exactly as librdkafka's default token refresh (Kafka's
//!   `OAuthBearerUnsecuredLoginCallbackHandler`) does.
//!
//! A token is cached and shared by every connection of the member until 80 % of its lifetime has
//! passed (librdkafka refreshes then; Kafka's `sasl.login.refresh.window.factor` defaults to
//! 0.8), and dropped when a broker rejects it. A failed token request is not retried here: the
//! member reconnects, and so asks again, on its own schedule. Neither the client secret nor a
//! token is ever part of a message.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};

use crate::DistributedError;
use crate::member::tls::https_client_config;

/// The part of a token's lifetime after which a new one is fetched.
const REFRESH_FACTOR: f64 = 0.8;

/// librdkafka's default `lifeSeconds` of an unsecured token.
const DEFAULT_LIFE_SECONDS: i64 = 3600;

/// How much of a token endpoint's error body a message quotes.
const MAX_QUOTED_BODY: usize = 200;

/// The RFC 7628 key/value separator.
const KVSEP: char = '\x01';

/// OAUTHBEARER credentials: where tokens come from, the SASL extensions, the cached token.
#[derive(Clone)]
pub(crate) struct OAuthBearer {
    source: Arc<Source>,
    extensions: Vec<(String, String)>,
    cache: Arc<tokio::sync::Mutex<Option<Cached>>>,
}

impl std::fmt::Debug for OAuthBearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &*self.source {
            Source::Unsecured(u) => format!("unsecured JWT for {}", u.principal),
            Source::Oidc(o) => format!("OIDC token endpoint {}", o.url),
        };
        f.debug_struct("OAuthBearer")
            .field("source", &source)
            .finish_non_exhaustive()
    }
}

enum Source {
    Unsecured(Unsecured),
    Oidc(Oidc),
}

/// librdkafka's unsecured JWS settings (`sasl.oauthbearer.config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsecured {
    principal_claim: String,
    principal: String,
    scope_claim: String,
    scope: Vec<String>,
    life_seconds: i64,
}

struct Oidc {
    url: String,
    client_id: String,
    client_secret: String,
    scope: Option<String>,
    http: reqwest::Client,
}

/// A token and when it is to be replaced.
#[derive(Clone)]
struct Cached {
    token: Token,
    refresh_at: SystemTime,
}

/// A bearer token, its principal and its expiry.
#[derive(Clone)]
pub(crate) struct Token {
    pub(crate) value: String,
    pub(crate) principal: String,
    pub(crate) expires: SystemTime,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("principal", &self.principal)
            .field("expires", &self.expires)
            .finish_non_exhaustive()
    }
}

fn config(message: String) -> DistributedError {
    DistributedError::Config(message)
}

impl OAuthBearer {
    /// Reads the OAUTHBEARER settings; anything librdkafka would refuse is refused here too.
    pub(crate) fn from_client(client: &BTreeMap<String, String>) -> Result<Self, DistributedError> {
        let get = |k: &str| client.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let method = get("sasl.oauthbearer.method")
            .unwrap_or("default")
            .to_ascii_lowercase();
        let (source, extensions) = match method.as_str() {
            "oidc" => {
                let need = |k: &str| {
                    get(k).map(str::to_owned).ok_or_else(|| {
                        config(format!(
                            "sasl.mechanism OAUTHBEARER with sasl.oauthbearer.method=oidc needs {k}"
                        ))
                    })
                };
                let url = need("sasl.oauthbearer.token.endpoint.url")?;
                let client_id = need("sasl.oauthbearer.client.id")?;
                let client_secret = need("sasl.oauthbearer.client.secret")?;
                let scope = get("sasl.oauthbearer.scope").map(str::to_owned);
                let extensions = get("sasl.oauthbearer.extensions")
                    .map(parse_extension_list)
                    .transpose()?
                    .unwrap_or_default();
                let http = http_client(&url, client)?;
                let oidc = Oidc {
                    url,
                    client_id,
                    client_secret,
                    scope,
                    http,
                };
                (Source::Oidc(oidc), extensions)
            }
            "default" => {
                if !get("enable.sasl.oauthbearer.unsecure.jwt")
                    .is_some_and(|v| v.eq_ignore_ascii_case("true"))
                {
                    return Err(config(
                        "sasl.mechanism OAUTHBEARER needs either sasl.oauthbearer.method=oidc \
                         (Kafka's OAuthBearerLoginCallbackHandler with a token endpoint) or \
                         enable.sasl.oauthbearer.unsecure.jwt=true (Kafka's default unsecured \
                         login) for the worker group membership"
                            .into(),
                    ));
                }
                let text = get("sasl.oauthbearer.config").ok_or_else(|| {
                    config("Invalid sasl.oauthbearer.config: must not be empty".into())
                })?;
                let (unsecured, extensions) = Unsecured::parse(text).map_err(config)?;
                (Source::Unsecured(unsecured), extensions)
            }
            other => {
                return Err(config(format!(
                    "sasl.oauthbearer.method {other} is not one of default, oidc"
                )));
            }
        };
        validate_extensions(&extensions).map_err(config)?;
        Ok(OAuthBearer {
            source: Arc::new(source),
            extensions,
            cache: Arc::default(),
        })
    }

    /// The current token: the cached one until its refresh time, else a new one.
    pub(crate) async fn token(&self, timeout: Duration) -> Result<Token, String> {
        let mut cache = self.cache.lock().await;
        let now = SystemTime::now();
        if let Some(cached) = cache.as_ref()
            && now < cached.refresh_at
        {
            return Ok(cached.token.clone());
        }
        let token = match &*self.source {
            Source::Unsecured(u) => u.token(now),
            Source::Oidc(o) => o.token(timeout).await?,
        };
        let life = token.expires.duration_since(now).unwrap_or_default();
        *cache = Some(Cached {
            token: token.clone(),
            refresh_at: now + life.mul_f64(REFRESH_FACTOR),
        });
        Ok(token)
    }

    /// Forgets the cached token (a broker refused it), so the next connection gets a new one.
    pub(crate) async fn forget(&self) {
        *self.cache.lock().await = None;
    }

    /// The RFC 7628 client first message for `token`, with this login's extensions.
    pub(crate) fn client_first(&self, token: &Token) -> Vec<u8> {
        client_first_message(&token.value, &self.extensions)
    }
}

/// RFC 7628's client first message without an authorization id: `n,,` ^A `auth=Bearer <token>`
/// ^A, each extension as `key=value` ^A, and a final ^A (Kafka's
/// `OAuthBearerClientInitialResponse.toBytes`, librdkafka's client first message).
pub(crate) fn client_first_message(token: &str, extensions: &[(String, String)]) -> Vec<u8> {
    let mut message = format!("n,,{KVSEP}auth=Bearer {token}{KVSEP}");
    for (key, value) in extensions {
        message.push_str(key);
        message.push('=');
        message.push_str(value);
        message.push(KVSEP);
    }
    message.push(KVSEP);
    message.into_bytes()
}

/// RFC 7628 §3.1 (Kafka's `OAuthBearerClientInitialResponse.validateExtensions`): keys are
/// letters and not `auth`; values are visible ASCII, space, tab, CR or LF.
fn validate_extensions(extensions: &[(String, String)]) -> Result<(), String> {
    for (key, value) in extensions {
        if key == "auth" {
            return Err("the SASL extension name auth is reserved".into());
        }
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(format!(
                "the SASL extension name {key:?} is invalid (letters only)"
            ));
        }
        if value.is_empty()
            || !value
                .bytes()
                .all(|b| matches!(b, 0x21..=0x7e | b' ' | b'\t' | b'\r' | b'\n'))
        {
            return Err(format!(
                "the value of the SASL extension {key} is invalid (printable ASCII only)"
            ));
        }
    }
    Ok(())
}

/// `sasl.oauthbearer.extensions`: `key=value` pairs separated by commas (librdkafka splits on
/// ',' and then on the first '=').
fn parse_extension_list(text: &str) -> Result<Vec<(String, String)>, DistributedError> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| {
                    config(format!(
                        "sasl.oauthbearer.extensions: {pair:?} is not key=value"
                    ))
                })
        })
        .collect()
}

impl Unsecured {
    /// librdkafka's `sasl.oauthbearer.config` grammar: space-separated `name=value`,
    /// `principalClaimName`, `principal` (required), `scopeClaimName`, `scope` (comma-separated),
    /// `lifeSeconds`, `extension_NAME`; no value may hold a '"'.
    pub(crate) fn parse(text: &str) -> Result<(Self, Vec<(String, String)>), String> {
        let invalid = |m: String| format!("Invalid sasl.oauthbearer.config: {m}");
        let mut principal_claim = None;
        let mut principal = None;
        let mut scope_claim = None;
        let mut scope_text: Option<String> = None;
        let mut life_seconds = None;
        let mut extensions = Vec::new();
        for item in text.split(' ').filter(|i| !i.is_empty()) {
            let nonempty = |name: &str, v: &str| {
                if v.is_empty() {
                    Err(invalid(format!("empty '{name}='")))
                } else {
                    Ok(v.to_owned())
                }
            };
            if let Some(v) = item.strip_prefix("principalClaimName=") {
                principal_claim = Some(nonempty("principalClaimName", v)?);
            } else if let Some(v) = item.strip_prefix("principal=") {
                principal = Some(nonempty("principal", v)?);
            } else if let Some(v) = item.strip_prefix("scopeClaimName=") {
                scope_claim = Some(nonempty("scopeClaimName", v)?);
            } else if let Some(v) = item.strip_prefix("scope=") {
                scope_text = Some(nonempty("scope", v)?);
            } else if let Some(v) = item.strip_prefix("lifeSeconds=") {
                let v = nonempty("lifeSeconds", v)?;
                let n: i64 = v
                    .parse()
                    .map_err(|_| invalid(format!("non-integral 'lifeSeconds=': {v}")))?;
                if n <= 0 || n > i64::from(i32::MAX) {
                    return Err(invalid(format!(
                        "value out of range of positive int 'lifeSeconds=': {v}"
                    )));
                }
                life_seconds = Some(n);
            } else if let Some(rest) = item.strip_prefix("extension_") {
                let (key, value) = rest.split_once('=').unwrap_or((rest, ""));
                if key.is_empty() {
                    return Err(invalid("empty 'extension_' key".into()));
                }
                extensions.push((key.to_owned(), value.to_owned()));
            } else {
                return Err(format!(
                    "Unrecognized sasl.oauthbearer.config beginning at: {item}"
                ));
            }
        }
        let principal = principal.ok_or_else(|| invalid("no principal=<value>".into()))?;
        let principal_claim = principal_claim.unwrap_or_else(|| "sub".into());
        let scope_claim = scope_claim.unwrap_or_else(|| "scope".into());
        for (name, value) in [
            ("principal", Some(&principal)),
            ("principalClaimName", Some(&principal_claim)),
            ("scopeClaimName", Some(&scope_claim)),
            ("scope", scope_text.as_ref()),
        ] {
            if value.is_some_and(|v| v.contains('"')) {
                return Err(invalid(format!("'\"' cannot appear in {name}")));
            }
        }
        // Empty elements are skipped and duplicates dropped, keeping the first's place.
        let mut scope: Vec<String> = Vec::new();
        for s in scope_text.iter().flat_map(|t| t.split(',')) {
            if !s.is_empty() && !scope.iter().any(|x| x == s) {
                scope.push(s.to_owned());
            }
        }
        Ok((
            Unsecured {
                principal_claim,
                principal,
                scope_claim,
                scope,
                life_seconds: life_seconds.unwrap_or(DEFAULT_LIFE_SECONDS),
            },
            extensions,
        ))
    }

    /// The unsecured JWS issued at `now`: header `{"alg":"none"}`, claims
    /// `{"<principal claim>":"…","iat":<s.mmm>,"exp":<s.mmm>[,"<scope claim>":[…]]}`, both
    /// base64url without padding, and an empty signature (`header.claims.`).
    pub(crate) fn token(&self, now: SystemTime) -> Token {
        let now_ms = now
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_millis() as f64);
        let iat = now_ms / 1000.0;
        let exp = iat + self.life_seconds as f64;
        // serde_json quotes and escapes; librdkafka refuses '"' and writes the rest raw.
        let quote = |s: &str| serde_json::Value::from(s).to_string();
        let mut claims = format!(
            "{{{}:{},\"iat\":{iat:.3},\"exp\":{exp:.3}",
            quote(&self.principal_claim),
            quote(&self.principal)
        );
        if !self.scope.is_empty() {
            let scope: Vec<String> = self.scope.iter().map(|s| quote(s)).collect();
            claims.push_str(&format!(
                ",{}:[{}]",
                quote(&self.scope_claim),
                scope.join(",")
            ));
        }
        claims.push('}');
        let header = BASE64URL.encode(br#"{"alg":"none"}"#);
        let secs = u64::try_from(self.life_seconds).unwrap_or(0);
        Token {
            value: format!("{header}.{}.", BASE64URL.encode(claims)),
            principal: self.principal.clone(),
            expires: now + Duration::from_secs(secs),
        }
    }
}

/// The HTTP client for the token endpoint: no redirects (the request carries the client
/// secret), TLS as [`https_client_config`] says for an `https` URL.
fn http_client(
    url: &str,
    client: &BTreeMap<String, String>,
) -> Result<reqwest::Client, DistributedError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        config(format!(
            "sasl.oauthbearer.token.endpoint.url {url} is not a URL: {e}"
        ))
    })?;
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    let builder = match parsed.scheme() {
        "https" => builder.tls_backend_preconfigured(https_client_config(client)?),
        "http" => builder,
        other => {
            return Err(config(format!(
                "sasl.oauthbearer.token.endpoint.url {url}: the scheme {other} is not http or https"
            )));
        }
    };
    builder
        .build()
        .map_err(|e| config(format!("the token endpoint's HTTP client: {e}")))
}

impl Oidc {
    /// Kafka's client-credentials request body: `grant_type=client_credentials`, and the
    /// trimmed scope encoded as Java's `URLEncoder` does.
    fn body(&self) -> String {
        let mut body = String::from("grant_type=client_credentials");
        if let Some(scope) = self
            .scope
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            body.push_str("&scope=");
            body.extend(form_urlencoded::byte_serialize(scope.as_bytes()));
        }
        body
    }

    /// `Basic base64(id:secret)` with the standard (not URL-safe) alphabet, as Kafka (KAFKA-14496)
    /// and librdkafka send it.
    fn authorization(&self) -> String {
        format!(
            "Basic {}",
            BASE64.encode(format!("{}:{}", self.client_id, self.client_secret))
        )
    }

    async fn token(&self, timeout: Duration) -> Result<Token, String> {
        let url = &self.url;
        let response = self
            .http
            .post(url)
            .header("Accept", "application/json")
            .header("Authorization", self.authorization())
            .header("Cache-Control", "no-cache")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(self.body())
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "the token endpoint {url} is unreachable: {}",
                    error_chain(&e.without_url())
                )
            })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| {
            format!(
                "the token endpoint {url}'s answer could not be read: {}",
                error_chain(&e.without_url())
            )
        })?;
        if !status.is_success() {
            return Err(format!(
                "the token endpoint {url} answered HTTP {status}: {}",
                error_body(&body)
            ));
        }
        let json: serde_json::Value = serde_json::from_slice(&body).map_err(|e| {
            format!("the token endpoint {url} answered with something that is not JSON: {e}")
        })?;
        let Some(access_token) = json.get("access_token") else {
            let keys = json
                .as_object()
                .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            return Err(format!(
                "the token endpoint {url}'s answer has no access_token (it has: {keys})"
            ));
        };
        let access_token = access_token
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                format!("the token endpoint {url}'s access_token is not a non-empty string")
            })?;
        let (expires, principal) = jwt_exp_sub(access_token)
            .map_err(|m| format!("the access_token from {url} is unusable: {m}"))?;
        Ok(Token {
            value: access_token.to_owned(),
            principal,
            expires,
        })
    }
}

/// A failed request's error with its causes (reqwest's own message is often just "error
/// sending request").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// An OAuth error body (RFC 6749 §5.2: `error`, `error_description`; Okta's `errorCode`,
/// `errorSummary`) as Kafka's `HttpAccessTokenRetriever.formatErrorMessage` shows it, else the
/// start of the body.
fn error_body(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        return "{}".into();
    }
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let field = |k: &str| {
            json.get(k)
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
        };
        if let Some(error) = field("error") {
            return match field("error_description") {
                Some(d) => format!("{error} - {d}"),
                None => error,
            };
        }
        if let Some(code) = field("errorCode") {
            return match field("errorSummary") {
                Some(d) => format!("{code} - {d}"),
                None => code,
            };
        }
    }
    let mut quoted: String = text.chars().take(MAX_QUOTED_BODY).collect();
    if quoted.len() < text.len() {
        quoted.push('…');
    }
    quoted
}

/// The `exp` (seconds since the epoch) and `sub` claims of a JWT, which librdkafka's OIDC login
/// requires (Kafka's client-side `ClientJwtValidator` requires them too).
fn jwt_exp_sub(jwt: &str) -> Result<(SystemTime, String), String> {
    let mut parts = jwt.split('.');
    let (Some(_), Some(payload), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("it is not a JWT (header.payload.signature)".into());
    };
    let payload = BASE64URL
        .decode(payload.trim_end_matches('='))
        .map_err(|_| "its payload is not base64url".to_owned())?;
    let claims: serde_json::Value =
        serde_json::from_slice(&payload).map_err(|_| "its payload is not JSON".to_owned())?;
    let exp = claims
        .get("exp")
        .and_then(serde_json::Value::as_f64)
        .filter(|e| *e > 0.0 && e.is_finite())
        .ok_or("it has no valid exp claim")?;
    let sub = claims
        .get("sub")
        .and_then(serde_json::Value::as_str)
        .ok_or("it has no valid sub claim")?;
    let expires = UNIX_EPOCH
        .checked_add(Duration::try_from_secs_f64(exp).map_err(|_| "its exp claim is out of range")?)
        .ok_or("its exp claim is out of range")?;
    Ok((expires, sub.to_owned()))
}

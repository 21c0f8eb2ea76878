//! Kafka Connect's `BasicAuthSecurityRestExtension`: HTTP Basic credentials checked against
//! the `KafkaConnect` entry of a JAAS file, whose `PropertyFileLoginModule` names a
//! `java.util.Properties` file of `user: password` lines.
//!
//! As `JaasBasicAuthFilter` (Kafka 3.9) does:
//! - every request the API matches is checked, `GET /` and `/health` included; only the
//!   signed internal endpoints are exempt (`POST /connectors/{c}/tasks` and
//!   `PUT /connectors/{c}/fence`: the router skips the check for them);
//! - a missing, malformed or non-Basic `Authorization` header, an unknown user or a wrong
//!   password is `401` with the body `User cannot access the resource.`. Kafka's filter sets
//!   no `WWW-Authenticate` header; Sluice adds `Basic realm="KafkaConnect"` (the JAAS login
//!   context), as RFC 9110 asks of a 401 (README lists the difference);
//! - a Basic token that is not base64 is `500` with the decoder's message, as the
//!   `IllegalArgumentException` reaches `ConnectExceptionMapper`;
//! - an empty credentials file lets every request through (with a warning at start-up).
//!
//! Where Kafka answers every request with 401 because its JAAS set-up is broken (no JAAS
//! file, no `KafkaConnect` entry, another login module, an unreadable credentials file),
//! Sluice refuses to start, naming the file.
//!
//! Failed logins are logged at debug without the user's password, as Kafka's are.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use connect_api::Props;
use connect_api::kafka_client::jaas;
use http::HeaderValue;

use super::{JAAS_CONFIG_FILE_CONFIG, RestConfigError};

/// `JaasBasicAuthFilter.CONNECT_LOGIN_MODULE`: the JAAS entry read.
pub const LOGIN_CONTEXT: &str = "KafkaConnect";
/// The login module the entry must use.
pub const PROPERTY_FILE_LOGIN_MODULE: &str =
    "org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule";
/// The 401 body (`JaasBasicAuthFilter.filter`).
pub const UNAUTHORIZED_BODY: &str = "User cannot access the resource.";
/// The 401's challenge: the realm is the JAAS login context that checks the credentials.
pub const WWW_AUTHENTICATE: &str = "Basic realm=\"KafkaConnect\"";
/// The JVM system property naming the JAAS file.
pub const JAAS_SYSTEM_PROPERTY: &str = "java.security.auth.login.config";

/// The outcome of checking a request's `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// 401.
    Denied,
    /// 500 with this message: the Basic token is not base64.
    BadEncoding(String),
}

/// The credentials of `PropertyFileLoginModule`'s file.
pub struct BasicAuth {
    users_file: PathBuf,
    users: BTreeMap<String, String>,
}

// The passwords stay out of debug output.
impl fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicAuth")
            .field("users_file", &self.users_file)
            .field("users", &self.users.len())
            .finish()
    }
}

/// The JAAS file: `sluice.rest.jaas.config.file`, else `-Djava.security.auth.login.config=…`
/// in `kafka_opts` (`KAFKA_OPTS`).
///
/// # Errors
/// When neither names one.
pub fn jaas_config_path(
    props: &Props,
    kafka_opts: Option<&str>,
) -> Result<PathBuf, RestConfigError> {
    if let Some(p) = props
        .get(JAAS_CONFIG_FILE_CONFIG)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = kafka_opts.and_then(jaas_path_from_kafka_opts) {
        return Ok(PathBuf::from(p));
    }
    Err(RestConfigError::Setting {
        key: super::REST_EXTENSION_CLASSES_CONFIG.to_owned(),
        reason: format!(
            "{} needs a JAAS file with a {LOGIN_CONTEXT} entry: set {JAAS_CONFIG_FILE_CONFIG} or -D{JAAS_SYSTEM_PROPERTY}=<file> in KAFKA_OPTS",
            super::BASIC_AUTH_EXTENSION
        ),
    })
}

/// The last `-Djava.security.auth.login.config=` in a JVM option string (the JVM keeps the
/// last); `==` (replace rather than add to the JVM's files) is read as `=`, quotes are removed.
pub fn jaas_path_from_kafka_opts(opts: &str) -> Option<String> {
    let flag = format!("-D{JAAS_SYSTEM_PROPERTY}=");
    opts.split_whitespace()
        .filter_map(|w| {
            w.trim_matches(|c| c == '"' || c == '\'')
                .strip_prefix(flag.as_str())
        })
        .map(|v| v.strip_prefix('=').unwrap_or(v))
        .map(|v| v.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .rfind(|v| !v.is_empty())
}

impl BasicAuth {
    /// Reads the JAAS file and the credentials file it names.
    ///
    /// # Errors
    /// A missing or unreadable file, no `KafkaConnect` entry, another login module, no `file`
    /// option; each names the file.
    pub fn load(jaas_path: &Path) -> Result<Self, RestConfigError> {
        let jaas_err = |reason: String| RestConfigError::Jaas {
            path: jaas_path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(jaas_path)
            .map_err(|e| jaas_err(format!("cannot be read: {e}")))?;
        let body = jaas_entry(&text, LOGIN_CONTEXT)
            .map_err(jaas_err)?
            .ok_or_else(|| jaas_err(format!("No LoginModules configured for {LOGIN_CONTEXT}")))?;
        let entry =
            jaas::parse(&body).map_err(|e| jaas_err(format!("{LOGIN_CONTEXT} entry: {e}")))?;
        if entry.login_module != PROPERTY_FILE_LOGIN_MODULE {
            return Err(jaas_err(format!(
                "the {LOGIN_CONTEXT} entry uses {}; Sluice implements only {PROPERTY_FILE_LOGIN_MODULE}",
                entry.login_module
            )));
        }
        let users_file = entry
            .options
            .get("file")
            .filter(|f| !f.trim().is_empty())
            .ok_or_else(|| jaas_err("Property Credentials file must be specified".to_owned()))?;
        let users_file = PathBuf::from(users_file);
        let users = connect_runtime::worker_config::load_properties(&users_file)
            .map_err(|e| RestConfigError::Credentials {
                path: users_file.clone(),
                reason: e.to_string(),
            })?
            .into_iter()
            .collect::<BTreeMap<_, _>>();
        if users.is_empty() {
            tracing::warn!(
                file = %users_file.display(),
                "Credential properties file is empty; all requests will be permitted"
            );
        }
        Ok(Self { users_file, users })
    }

    /// Checks an `Authorization` header as `BasicAuthCredentials` and
    /// `PropertyFileLoginModule.login` do.
    pub fn check(&self, authorization: Option<&HeaderValue>) -> Verdict {
        if self.users.is_empty() {
            return Verdict::Allowed;
        }
        let Some(header) = authorization else {
            return Verdict::Denied;
        };
        // Jetty decodes header bytes as ISO-8859-1.
        let header: String = header.as_bytes().iter().map(|&b| char::from(b)).collect();
        let Some(space) = header.find(' ').filter(|&i| i > 0) else {
            return Verdict::Denied;
        };
        if !header[..space].eq_ignore_ascii_case("Basic") {
            return Verdict::Denied;
        }
        let decoded = match java_base64_decode(&header[space + 1..]) {
            Ok(d) => d,
            Err(message) => return Verdict::BadEncoding(message),
        };
        let decoded = String::from_utf8_lossy(&decoded);
        let Some(colon) = decoded.find(':').filter(|&i| i > 0) else {
            return Verdict::Denied;
        };
        let (user, password) = (&decoded[..colon], &decoded[colon + 1..]);
        match self.users.get(user) {
            Some(expected) if constant_time_eq(expected.as_bytes(), password.as_bytes()) => {
                Verdict::Allowed
            }
            _ => {
                tracing::debug!("Request failed authentication");
                Verdict::Denied
            }
        }
    }
}

/// Compares without an early exit, so the time taken does not tell how much of a password
/// was right.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `java.util.Base64.getDecoder().decode(String)`: the standard alphabet, padding optional,
/// with Java's messages for what it refuses.
fn java_base64_decode(text: &str) -> Result<Vec<u8>, String> {
    const DECODER: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    DECODER.decode(text).map_err(|e| match e {
        base64::DecodeError::InvalidByte(_, b) => {
            // Java prints the (signed) byte in hexadecimal.
            let b = i8::from_ne_bytes([b]);
            if b < 0 {
                format!("Illegal base64 character -{:x}", -i16::from(b))
            } else {
                format!("Illegal base64 character {b:x}")
            }
        }
        base64::DecodeError::InvalidLength(_) => {
            "Last unit does not have enough valid bits".to_owned()
        }
        _ => "Input byte array has wrong 4-byte ending unit".to_owned(),
    })
}

/// The text between the braces of the JAAS file's `name { … };` entry, or `None` without one.
/// Entries follow Java's `ConfigFile` grammar: `//`, `/* */` and `#` comments, quoted strings
/// that may hold braces.
fn jaas_entry(text: &str, name: &str) -> Result<Option<String>, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let skip_space_and_comments = |i: &mut usize| {
        loop {
            while *i < chars.len() && chars[*i].is_whitespace() {
                *i += 1;
            }
            if chars.get(*i) == Some(&'#')
                || (chars.get(*i) == Some(&'/') && chars.get(*i + 1) == Some(&'/'))
            {
                while *i < chars.len() && chars[*i] != '\n' {
                    *i += 1;
                }
            } else if chars.get(*i) == Some(&'/') && chars.get(*i + 1) == Some(&'*') {
                *i += 2;
                while *i < chars.len() && !(chars[*i] == '*' && chars.get(*i + 1) == Some(&'/')) {
                    *i += 1;
                }
                *i = (*i + 2).min(chars.len());
            } else {
                return;
            }
        }
    };
    loop {
        skip_space_and_comments(&mut i);
        if i >= chars.len() {
            return Ok(None);
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != '{' {
            i += 1;
        }
        let entry_name: String = chars[start..i].iter().collect();
        skip_space_and_comments(&mut i);
        if chars.get(i) != Some(&'{') {
            return Err(format!("expected '{{' after the entry name {entry_name}"));
        }
        i += 1;
        let body_start = i;
        let mut quote: Option<char> = None;
        while i < chars.len() {
            let c = chars[i];
            match quote {
                Some(_) if c == '\\' => i += 1,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '"' || c == '\'' => quote = Some(c),
                None if c == '}' => break,
                None => {}
            }
            i += 1;
        }
        if i >= chars.len() {
            return Err(format!("the entry {entry_name} has no closing '}}'"));
        }
        let body: String = chars[body_start..i].iter().collect();
        i += 1;
        skip_space_and_comments(&mut i);
        if chars.get(i) != Some(&';') {
            return Err(format!("expected ';' after the entry {entry_name}"));
        }
        i += 1;
        if entry_name == name {
            return Ok(Some(body));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(users: &[(&str, &str)]) -> BasicAuth {
        BasicAuth {
            users_file: PathBuf::from("/users"),
            users: users
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect(),
        }
    }

    fn basic(user_pass: &str) -> HeaderValue {
        let token = base64::engine::general_purpose::STANDARD.encode(user_pass);
        HeaderValue::from_str(&format!("Basic {token}")).expect("header")
    }

    #[test]
    fn the_right_password_is_allowed_and_anything_else_denied() {
        let a = auth(&[("alice", "s3cr:et")]);
        assert_eq!(a.check(Some(&basic("alice:s3cr:et"))), Verdict::Allowed);
        assert_eq!(a.check(Some(&basic("alice:wrong"))), Verdict::Denied);
        assert_eq!(a.check(Some(&basic("bob:s3cr:et"))), Verdict::Denied);
        assert_eq!(a.check(Some(&basic(":s3cr:et"))), Verdict::Denied);
        assert_eq!(a.check(None), Verdict::Denied);
        assert_eq!(
            a.check(Some(&HeaderValue::from_static("Basic"))),
            Verdict::Denied
        );
        assert_eq!(
            a.check(Some(&HeaderValue::from_static("Bearer abc"))),
            Verdict::Denied
        );
        let lower = basic("alice:s3cr:et")
            .to_str()
            .expect("ascii")
            .replace("Basic", "bAsIc");
        assert_eq!(
            a.check(Some(&HeaderValue::from_str(&lower).expect("header"))),
            Verdict::Allowed
        );
    }

    #[test]
    fn a_token_that_is_not_base64_gets_javas_decoder_message() {
        let a = auth(&[("alice", "pw")]);
        assert_eq!(
            a.check(Some(&HeaderValue::from_static("Basic a-b="))),
            Verdict::BadEncoding("Illegal base64 character 2d".to_owned())
        );
        // Java's decoder does not require padding.
        let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode("alice:pw");
        let h = HeaderValue::from_str(&format!("Basic {unpadded}")).expect("header");
        assert_eq!(a.check(Some(&h)), Verdict::Allowed);
    }

    #[test]
    fn an_empty_credentials_file_lets_every_request_through() {
        assert_eq!(auth(&[]).check(None), Verdict::Allowed);
    }

    #[test]
    fn the_jaas_path_comes_from_the_setting_then_kafka_opts() {
        let opts = "-Xmx1g -Djava.security.auth.login.config=/etc/kafka/connect_jaas.conf -Dx=y";
        assert_eq!(
            jaas_path_from_kafka_opts(opts).as_deref(),
            Some("/etc/kafka/connect_jaas.conf")
        );
        assert_eq!(
            jaas_path_from_kafka_opts("-Djava.security.auth.login.config==\"/etc/jaas.conf\"")
                .as_deref(),
            Some("/etc/jaas.conf")
        );
        assert_eq!(jaas_path_from_kafka_opts("-Xmx1g"), None);
        let mut p = Props::new();
        assert!(jaas_config_path(&p, None).is_err());
        assert_eq!(
            jaas_config_path(&p, Some(opts)).expect("opts"),
            PathBuf::from("/etc/kafka/connect_jaas.conf")
        );
        p.insert(JAAS_CONFIG_FILE_CONFIG.to_owned(), "/mine.conf".to_owned());
        assert_eq!(
            jaas_config_path(&p, Some(opts)).expect("setting"),
            PathBuf::from("/mine.conf")
        );
    }

    #[test]
    fn the_kafka_connect_entry_is_found_among_others() {
        let text = r#"
            // a comment { with a brace
            KafkaServer { org.apache.kafka.common.security.plain.PlainLoginModule required
                username="a" password="}"; };
            /* block */ KafkaConnect {
              org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required
              file="/etc/users.properties";
            };
        "#;
        let body = jaas_entry(text, "KafkaConnect")
            .expect("parsed")
            .expect("found");
        let entry = jaas::parse(&body).expect("entry");
        assert_eq!(entry.login_module, PROPERTY_FILE_LOGIN_MODULE);
        assert_eq!(entry.options["file"], "/etc/users.properties");
        assert_eq!(jaas_entry(text, "Other").expect("parsed"), None);
        assert!(jaas_entry("KafkaConnect { x required; ", "KafkaConnect").is_err());
    }
}

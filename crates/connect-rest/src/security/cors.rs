//! Cross-origin requests as Jetty 9.4's `CrossOriginFilter` answers them with the parameters
//! Kafka Connect gives it: `allowedOrigins` = `access.control.allow.origin` (the filter is
//! installed only when that is not blank), `allowedMethods` = `access.control.allow.methods`
//! when not blank (else Jetty's `GET,POST,HEAD`), and Jetty's defaults for the rest: allowed
//! headers `X-Requested-With,Content-Type,Accept,Origin`, max age 1800 s, credentials allowed,
//! preflight requests passed on to the API (`chainPreflight`), which answers them as any
//! `OPTIONS` (and, under BasicAuth, with 401).

use connect_api::Props;
use http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use regex::Regex;

/// `RestServerConfig.ACCESS_CONTROL_ALLOW_ORIGIN_CONFIG`.
pub const ACCESS_CONTROL_ALLOW_ORIGIN_CONFIG: &str = "access.control.allow.origin";
/// `RestServerConfig.ACCESS_CONTROL_ALLOW_METHODS_CONFIG`.
pub const ACCESS_CONTROL_ALLOW_METHODS_CONFIG: &str = "access.control.allow.methods";

const DEFAULT_METHODS: &str = "GET,POST,HEAD";
const ALLOWED_HEADERS: &[&str] = &["X-Requested-With", "Content-Type", "Accept", "Origin"];
const PREFLIGHT_MAX_AGE: &str = "1800";

#[derive(Debug)]
enum OriginRule {
    Exact(String),
    /// An entry with `*` (`https://*.example.com`): `.` literal, `*` any text.
    Wildcard(Regex),
}

/// The filter's parameters.
#[derive(Debug)]
pub struct Cors {
    any_origin: bool,
    origins: Vec<OriginRule>,
    methods: Vec<String>,
}

/// Jetty's `csvSplit`-free parameter lists: split at commas, trimmed.
fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|s| !s.is_empty())
}

impl Cors {
    /// The filter Kafka installs, or `None` when `access.control.allow.origin` is blank.
    pub fn from_worker_props(props: &Props) -> Option<Self> {
        let origins = props
            .get(ACCESS_CONTROL_ALLOW_ORIGIN_CONFIG)
            .filter(|s| !s.trim().is_empty())?;
        let methods = props
            .get(ACCESS_CONTROL_ALLOW_METHODS_CONFIG)
            .filter(|s| !s.trim().is_empty())
            .map_or(DEFAULT_METHODS, String::as_str);
        Some(Self::new(origins, methods))
    }

    /// A filter for these `allowedOrigins` and `allowedMethods` parameters.
    pub fn new(origins: &str, methods: &str) -> Self {
        let mut any_origin = false;
        let mut rules = Vec::new();
        for o in list(origins) {
            if o == "*" {
                any_origin = true;
            } else if o.contains('*') {
                let pattern = format!("^{}$", regex::escape(o).replace(r"\*", ".*"));
                match Regex::new(&pattern) {
                    Ok(r) => rules.push(OriginRule::Wildcard(r)),
                    Err(_) => rules.push(OriginRule::Exact(o.to_owned())),
                }
            } else {
                rules.push(OriginRule::Exact(o.to_owned()));
            }
        }
        Self {
            any_origin,
            origins: rules,
            methods: list(methods).map(str::to_owned).collect(),
        }
    }

    /// `originMatches`: the `Origin` header may list several origins separated by spaces; one
    /// allowed is enough.
    fn origin_allowed(&self, origin: &str) -> bool {
        if self.any_origin {
            return true;
        }
        origin
            .split(' ')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .any(|o| {
                self.origins.iter().any(|rule| match rule {
                    OriginRule::Exact(e) => e == o,
                    OriginRule::Wildcard(r) => r.is_match(o),
                })
            })
    }

    /// The headers to add to the answer of a request with these `method` and `headers`
    /// (`doFilter` before the request goes on to the API).
    pub fn response_headers(&self, method: &Method, headers: &HeaderMap) -> HeaderMap {
        let mut out = HeaderMap::new();
        let Some(origin) = headers.get(header::ORIGIN) else {
            return out;
        };
        let Ok(origin_text) = origin.to_str() else {
            return out;
        };
        if !self.origin_allowed(origin_text) {
            tracing::debug!(
                origin = origin_text,
                "Cross-origin request does not match the allowed origins"
            );
            return out;
        }
        let request_method = headers.get(header::ACCESS_CONTROL_REQUEST_METHOD);
        let simple = [Method::GET, Method::POST, Method::HEAD].contains(method);
        let preflight = !simple && *method == Method::OPTIONS && request_method.is_some();
        if preflight {
            let method_allowed = request_method
                .and_then(|m| m.to_str().ok())
                .is_some_and(|m| self.methods.iter().any(|a| a == m));
            if !method_allowed || !headers_allowed(headers) {
                return out;
            }
        }
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        if !self.any_origin {
            out.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        out.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        if preflight {
            out.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(PREFLIGHT_MAX_AGE),
            );
            if let Ok(v) = HeaderValue::from_str(&self.methods.join(",")) {
                out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, v);
            }
            out.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("X-Requested-With,Content-Type,Accept,Origin"),
            );
        }
        out
    }
}

/// `areHeadersAllowed`: every header named in `Access-Control-Request-Headers` is one of the
/// allowed ones (case-insensitive).
fn headers_allowed(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(list)
        .all(|h| ALLOWED_HEADERS.iter().any(|a| a.eq_ignore_ascii_case(h)))
}

/// Adds `extra` to `target` the way Jetty's `setHeader`/`addHeader` calls made before the API
/// answered leave them: `Vary` is added to, the others replace.
pub(crate) fn merge_into(target: &mut HeaderMap, extra: HeaderMap) {
    let mut last: Option<HeaderName> = None;
    for (name, value) in extra {
        let name = name.or_else(|| last.clone());
        let Some(name) = name else { continue };
        if name == header::VARY {
            target.append(name.clone(), value);
        } else {
            target.insert(name.clone(), value);
        }
        last = Some(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                HeaderName::from_bytes(k.as_bytes()).expect("name"),
                HeaderValue::from_str(v).expect("value"),
            );
        }
        h
    }

    #[test]
    fn a_simple_request_from_an_allowed_origin_gets_the_origin_back() {
        let cors = Cors::new("https://ui.example.com", "");
        let h = cors.response_headers(&Method::GET, &req(&[("origin", "https://ui.example.com")]));
        assert_eq!(h["access-control-allow-origin"], "https://ui.example.com");
        assert_eq!(h["access-control-allow-credentials"], "true");
        assert_eq!(h["vary"], "Origin");
        assert!(!h.contains_key("access-control-allow-methods"));
        let h = cors.response_headers(
            &Method::GET,
            &req(&[("origin", "https://evil.example.com")]),
        );
        assert!(h.is_empty());
    }

    #[test]
    fn wildcard_origins_match_as_jetty_patterns() {
        let cors = Cors::new("https://*.example.com", "");
        let ok =
            cors.response_headers(&Method::GET, &req(&[("origin", "https://a.b.example.com")]));
        assert_eq!(ok["access-control-allow-origin"], "https://a.b.example.com");
        let no = cors.response_headers(&Method::GET, &req(&[("origin", "https://exampleXcom")]));
        assert!(no.is_empty());
        let any = Cors::new("*", "");
        let h = any.response_headers(&Method::GET, &req(&[("origin", "http://x")]));
        assert_eq!(h["access-control-allow-origin"], "http://x");
        assert!(!h.contains_key("vary"));
    }

    #[test]
    fn a_preflight_is_answered_only_for_an_allowed_method_and_headers() {
        let cors = Cors::new("*", "GET,PUT,DELETE");
        let pre = |m: &str, hs: &str| {
            cors.response_headers(
                &Method::OPTIONS,
                &req(&[
                    ("origin", "http://ui"),
                    ("access-control-request-method", m),
                    ("access-control-request-headers", hs),
                ]),
            )
        };
        let h = pre("PUT", "content-type");
        assert_eq!(h["access-control-allow-methods"], "GET,PUT,DELETE");
        assert_eq!(h["access-control-max-age"], "1800");
        assert_eq!(
            h["access-control-allow-headers"],
            "X-Requested-With,Content-Type,Accept,Origin"
        );
        assert!(
            pre("POST", "").is_empty(),
            "POST is not in the allowed methods"
        );
        assert!(
            pre("PUT", "authorization").is_empty(),
            "Authorization is not an allowed header"
        );
    }

    #[test]
    fn the_filter_is_off_when_the_origin_setting_is_blank() {
        let mut p = Props::new();
        p.insert(
            ACCESS_CONTROL_ALLOW_ORIGIN_CONFIG.to_owned(),
            " ".to_owned(),
        );
        assert!(Cors::from_worker_props(&p).is_none());
        p.insert(
            ACCESS_CONTROL_ALLOW_ORIGIN_CONFIG.to_owned(),
            "*".to_owned(),
        );
        let c = Cors::from_worker_props(&p).expect("on");
        assert_eq!(c.methods, ["GET", "POST", "HEAD"]);
    }
}

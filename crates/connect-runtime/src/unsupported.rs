//! Framework connector settings Sluice parses but cannot honour as Kafka would. Each is either
//! refused, with a message on its key, or accepted with a warning saying what Sluice does
//! instead; none is silently ignored.
//!
//! The same rules run in the herder's validation (`PUT …/config/validate`, create, update)
//! and when the reconcile loop starts a connector, so a config read back from the config topic
//! (written by a JVM worker, or before an upgrade) is held to them too.
//!
//! Sluice workers never have exactly-once source support (KIP-618): the worker refuses
//! `exactly.once.source.support=enabled` at start (see [`crate::worker_config`]).

use connect_api::{ConnectError, FieldErrors, Props};

use crate::herder::HerderError;

pub const EXACTLY_ONCE_SUPPORT_CONFIG: &str = "exactly.once.support";
pub const TRANSACTION_BOUNDARY_CONFIG: &str = "transaction.boundary";
pub const TRANSACTION_BOUNDARY_INTERVAL_CONFIG: &str = "transaction.boundary.interval.ms";
pub const OFFSETS_TOPIC_CONFIG: &str = "offsets.storage.topic";

/// What a connector's framework settings ask for that Sluice does not do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// Refused settings, each on its key.
    pub errors: FieldErrors,
    /// Accepted settings that have no effect, each saying what happens instead.
    pub warnings: Vec<String>,
}

fn get<'a>(config: &'a Props, key: &str) -> Option<&'a str> {
    config.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Checks a connector config (placeholders resolved). Only source connectors have these keys;
/// values the framework's own validators refuse are left to them.
pub fn check_connector(config: &Props, is_source: bool) -> Findings {
    let mut findings = Findings::default();
    // Kafka's RetryWithToleranceOperator retries a retriable converter or transform failure
    // for this long; Sluice's converters and transforms raise no retriable errors, so there
    // is nothing to retry, and a non-zero value changes nothing: say so.
    if get(config, "errors.retry.timeout").is_some_and(|v| v != "0") {
        findings.warnings.push(
            "errors.retry.timeout has no effect: Sluice's converters and transforms never fail retriably, so failed records are not retried; errors.tolerance decides what happens to them.".to_owned(),
        );
    }
    // Kafka makes an admin client per connector (topic creation, the DLQ topic, offset
    // resets) from the worker's admin settings plus `admin.override.*`; Sluice has one admin
    // client per worker, so a connector's admin overrides would change nothing: say so.
    let mut admin_overrides: Vec<&str> = config
        .keys()
        .filter(|k| k.starts_with("admin.override."))
        .map(String::as_str)
        .collect();
    if !admin_overrides.is_empty() {
        admin_overrides.sort_unstable();
        findings.warnings.push(format!(
            "{} ha{} no effect: Sluice uses the worker's one admin client (its top-level and admin.* settings) for topic creation, the dead letter queue topic and offset resets of every connector.",
            admin_overrides.join(", "),
            if admin_overrides.len() == 1 { "s" } else { "ve" }
        ));
    }
    if !is_source {
        return findings;
    }
    if get(config, EXACTLY_ONCE_SUPPORT_CONFIG).is_some_and(|v| v.eq_ignore_ascii_case("required"))
    {
        // `DistributedHerder.validateSourceConnectorExactlyOnceSupport`, whose worker check is
        // always the one that fails here.
        findings.errors.push(
            EXACTLY_ONCE_SUPPORT_CONFIG,
            "This worker does not have exactly-once source support enabled.",
        );
    }
    match get(config, TRANSACTION_BOUNDARY_CONFIG).map(str::to_ascii_lowercase) {
        // `validateSourceConnectorTransactionBoundary`: no Sluice plugin defines its own
        // transaction boundaries (`canDefineTransactionBoundaries` is UNSUPPORTED for all).
        Some(b) if b == "connector" => findings.errors.push(
            TRANSACTION_BOUNDARY_CONFIG,
            "The connector does not support connector-defined transaction boundaries with the given configuration. Please reconfigure it to use a different transaction boundary definition.",
        ),
        // Kafka 3.9 without exactly-once support ignores the boundary and says nothing.
        Some(b) if b == "interval" => findings.warnings.push(format!(
            "{TRANSACTION_BOUNDARY_CONFIG}=interval has no effect: this worker has no exactly-once source support, so records are not written in transactions (as in Kafka with exactly.once.source.support=disabled); source offsets are committed every offset.flush.interval.ms."
        )),
        _ => {}
    }
    if get(config, TRANSACTION_BOUNDARY_INTERVAL_CONFIG).is_some() {
        findings.warnings.push(format!(
            "{TRANSACTION_BOUNDARY_INTERVAL_CONFIG} has no effect: this worker has no exactly-once source support, so there are no transactions to commit; source offsets are committed every offset.flush.interval.ms."
        ));
    }
    if let Some(topic) = get(config, OFFSETS_TOPIC_CONFIG) {
        findings.errors.push(
            OFFSETS_TOPIC_CONFIG,
            format!(
                "Invalid value {topic} for configuration {OFFSETS_TOPIC_CONFIG}: Sluice keeps every source connector's offsets in the worker's offsets topic and does not support a connector-specific offsets topic; remove this setting."
            ),
        );
    }
    findings
}

/// The check at connector start: refused settings fail the connector with Kafka's invalid
/// configuration message (the one `PUT …/config` answers with), each error prefixed with its
/// key; settings without effect are logged at WARN (once per start).
///
/// # Errors
/// A fatal error naming every refused key.
pub fn check_at_start(name: &str, config: &Props, is_source: bool) -> Result<(), ConnectError> {
    let findings = check_connector(config, is_source);
    for w in &findings.warnings {
        tracing::warn!(connector = name, "{w}");
    }
    if findings.errors.is_empty() {
        return Ok(());
    }
    let reasons: Vec<String> = findings
        .errors
        .0
        .iter()
        .map(|(key, message)| format!("{key}: {message}"))
        .collect();
    Err(ConnectError::fatal(
        HerderError::invalid_config(&reasons).message,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connectors_admin_overrides_are_accepted_with_a_warning_naming_them() {
        let mut config = source(&[]);
        config.insert(
            "admin.override.request.timeout.ms".to_owned(),
            "5000".to_owned(),
        );
        for is_source in [true, false] {
            let findings = check_connector(&config, is_source);
            assert!(findings.errors.0.is_empty());
            assert_eq!(findings.warnings.len(), 1);
            assert!(
                findings.warnings[0].starts_with(
                    "admin.override.request.timeout.ms has no effect: Sluice uses the worker's one admin client"
                ),
                "{}",
                findings.warnings[0]
            );
        }
    }

    fn source(pairs: &[(&str, &str)]) -> Props {
        let mut p: Props = [("name", "c"), ("connector.class", "FileStreamSource")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        p.extend(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        p
    }

    #[test]
    fn defaults_are_accepted_without_warnings() {
        let config = source(&[
            ("exactly.once.support", "requested"),
            ("transaction.boundary", "poll"),
            ("offsets.storage.topic", " "),
        ]);
        assert_eq!(check_connector(&config, true), Findings::default());
        assert!(check_at_start("c", &config, true).is_ok());
    }

    #[test]
    fn exactly_once_support_required_is_refused_with_kafkas_message() {
        let f = check_connector(&source(&[("exactly.once.support", "REQUIRED")]), true);
        assert_eq!(
            f.errors.0,
            [(
                "exactly.once.support".to_owned(),
                "This worker does not have exactly-once source support enabled.".to_owned()
            )]
        );
    }

    #[test]
    fn connector_defined_transaction_boundaries_are_refused_and_interval_is_a_warning() {
        let f = check_connector(&source(&[("transaction.boundary", "connector")]), true);
        assert_eq!(f.errors.0[0].0, "transaction.boundary");
        assert!(f.errors.0[0].1.starts_with(
            "The connector does not support connector-defined transaction boundaries"
        ));
        let f = check_connector(
            &source(&[
                ("transaction.boundary", "interval"),
                ("transaction.boundary.interval.ms", "1000"),
            ]),
            true,
        );
        assert!(f.errors.is_empty());
        assert_eq!(f.warnings.len(), 2);
        assert!(f.warnings[0].starts_with("transaction.boundary=interval has no effect"));
        assert!(f.warnings[1].starts_with("transaction.boundary.interval.ms has no effect"));
    }

    #[test]
    fn a_connector_specific_offsets_topic_is_refused() {
        let f = check_connector(&source(&[("offsets.storage.topic", "my-offsets")]), true);
        assert_eq!(f.errors.0[0].0, "offsets.storage.topic");
        assert!(
            f.errors.0[0]
                .1
                .starts_with("Invalid value my-offsets for configuration offsets.storage.topic:")
        );
    }

    #[test]
    fn sinks_are_not_held_to_source_only_keys() {
        let config = source(&[
            ("exactly.once.support", "required"),
            ("offsets.storage.topic", "x"),
        ]);
        assert_eq!(check_connector(&config, false), Findings::default());
    }

    #[test]
    fn a_refusal_at_start_names_every_key() {
        let config = source(&[
            ("exactly.once.support", "required"),
            ("offsets.storage.topic", "x"),
        ]);
        let err = check_at_start("c", &config, true).unwrap_err().to_string();
        assert_eq!(
            err,
            "Connector configuration is invalid and contains the following 2 error(s):\n\
             exactly.once.support: This worker does not have exactly-once source support enabled.\n\
             offsets.storage.topic: Invalid value x for configuration offsets.storage.topic: Sluice keeps every source connector's offsets in the worker's offsets topic and does not support a connector-specific offsets topic; remove this setting.\n\
             You can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
        );
    }
}

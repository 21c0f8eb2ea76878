//! The `SourceConnector` implementations.
//!
//! A binlog has exactly one reader position, so the connector always produces one task, whatever
//! `tasks.max` says (as Debezium does). The task receives the connector's properties unchanged.

use std::num::NonZeroU32;

use connect_api::{
    ConnectError, ConnectorContext, PluginDescriptor, PluginKind, Props, SourceConnector,
    SourceOffset, SourcePartition,
};

use connect_api::config::{ConfigReport, ConnectorConfig, FieldErrors};

use crate::config::MySqlConfig;
use crate::event::DEBEZIUM_VERSION;
use crate::offset::BinlogOffset;
use crate::task::MySqlSourceTask;

/// `io.debezium.connector.mysql.MySqlConnector`.
pub struct MySqlConnector {
    props: Props,
}

/// `io.debezium.connector.mariadb.MariaDbConnector`: the same reader; its events name
/// `io.debezium.connector.mariadb.Source` and `"connector":"mariadb"`.
pub struct MariaDbConnector {
    props: Props,
}

// The properties hold the database password: never print them.
impl std::fmt::Debug for MySqlConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MySqlConnector").finish_non_exhaustive()
    }
}

impl std::fmt::Debug for MariaDbConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MariaDbConnector").finish_non_exhaustive()
    }
}

fn check_offsets(
    offsets: &[(SourcePartition, Option<SourceOffset>)],
) -> Result<bool, ConnectError> {
    for (part, off) in offsets {
        if !part.0.contains_key("server") {
            return Err(ConnectError::fatal(format!(
                "source partition {} has no \"server\" key; MySQL partitions are {{\"server\":\"<topic.prefix>\"}}",
                part.key()
            )));
        }
        if let Some(o) = off {
            BinlogOffset::from_source_offset(o).map_err(|e| ConnectError::fatal(e.to_string()))?;
        }
    }
    Ok(true)
}

/// `RelationalBaseSourceConnector.validate`: Debezium's field rules, then, only when no key has
/// an error, `BinlogConnector.validateConnection`: connect, `SELECT version()`, and put what
/// failed on `database.hostname` in Debezium's words (a server error's text is the server's, as
/// Connector/J passes it on; a failure to reach the server is Debezium's
/// `DebeziumException` there, whose cause text Sluice cannot reproduce).
async fn validate(props: &Props, report: ConfigReport) -> ConfigReport {
    let mut report =
        crate::config::debezium36::field_report(props, &report, crate::config::is_v36(props));
    if report.error_count() > 0 {
        return report;
    }
    let Ok(config) = MySqlConfig::parse(props) else {
        return report;
    };
    let timeout_ms = config.connection_validation_timeout_ms;
    let test = async {
        use mysql_async::prelude::Queryable;
        let mut conn = crate::connection::connect(&config).await?;
        let version = conn.query_drop("SELECT version()").await;
        conn.disconnect().await.ok();
        version.map_err(|e| crate::error::CdcError::db("SELECT version()", e))
    };
    let problem = match tokio::time::timeout(std::time::Duration::from_millis(timeout_ms), test)
        .await
    {
        Err(_) => Some(format!(
            "Connection validation timed out after {timeout_ms} ms"
        )),
        Ok(Ok(())) => None,
        Ok(Err(crate::error::CdcError::Database {
            source: mysql_async::Error::Server(e),
            ..
        })) => Some(format!("Unable to connect: {}", e.message)),
        Ok(Err(e)) => {
            // Debezium's answer ends without the cause (the JVM worker's text, compared in
            // tests/oracle_rest.rs); the log says why.
            tracing::warn!(error = %e, "connection validation could not reach the database");
            Some(
                "Error during connection validation: io.debezium.DebeziumException: Failed to establish connection with the database: "
                    .to_owned(),
            )
        }
    };
    if let Some(problem) = problem {
        let mut errors = FieldErrors::new();
        errors.push("database.hostname", problem);
        report.add_errors(&errors);
    }
    report
}

macro_rules! connector_impl {
    ($ty:ident, $class:literal, $alias:literal) => {
        impl SourceConnector for $ty {
            type Config = MySqlConfig;
            type Task = MySqlSourceTask;
            const DESCRIPTOR: PluginDescriptor = PluginDescriptor {
                class: $class,
                extra_aliases: &[$alias],
                kind: PluginKind::Source,
                version: DEBEZIUM_VERSION,
            };

            async fn start(
                ctx: ConnectorContext,
                config: MySqlConfig,
            ) -> Result<Self, ConnectError> {
                let _ = ctx;
                Ok(Self {
                    props: config.originals,
                })
            }

            fn task_configs(&self, _max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError> {
                let mut props = self.props.clone();
                props.insert("connector.class".into(), $class.into());
                Ok(vec![props])
            }

            async fn validate(config: &Props, report: ConfigReport) -> ConfigReport {
                validate(config, report).await
            }

            fn version(config: &Props) -> &'static str {
                crate::config::layout_of(config).version()
            }

            fn alter_offsets(
                _config: &Props,
                offsets: &[(SourcePartition, Option<SourceOffset>)],
            ) -> Result<bool, ConnectError> {
                check_offsets(offsets)
            }
        }
    };
}

connector_impl!(
    MySqlConnector,
    "io.debezium.connector.mysql.MySqlConnector",
    "MySqlConnector"
);
connector_impl!(
    MariaDbConnector,
    "io.debezium.connector.mariadb.MariaDbConnector",
    "MariaDbConnector"
);

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use connect_api::ConnectorConfig;
    use connect_api::connector::ConnectorHost;

    use super::*;

    #[derive(Debug)]
    struct NoHost;
    impl ConnectorHost for NoHost {
        fn request_task_reconfiguration(&self) {}
        fn raise_error(&self, _error: ConnectError) {}
    }

    #[tokio::test]
    async fn one_task_gets_the_connectors_properties_whatever_tasks_max_says() {
        let props: Props = serde_json::from_str(r#"{"connector.class":"io.debezium.connector.mysql.MySqlConnector","tasks.max":"4","database.hostname":"mysql","database.user":"debezium","database.password":"dbz","database.server.id":"184054","topic.prefix":"dbserver1","schema.history.internal.kafka.bootstrap.servers":"redpanda:9092","schema.history.internal.kafka.topic":"h"}"#).unwrap();
        let config = MySqlConfig::parse(&props).unwrap();
        let ctx = ConnectorContext {
            name: "c".into(),
            host: Arc::new(NoHost),
        };
        let c = MySqlConnector::start(ctx, config).await.unwrap();
        let tasks = c.task_configs(NonZeroU32::new(4).unwrap()).unwrap();
        assert_eq!(tasks, vec![props]);
        assert_eq!(MySqlConnector::DESCRIPTOR.version, "2.2.0.Final");
        assert_eq!(
            MariaDbConnector::DESCRIPTOR.class,
            "io.debezium.connector.mariadb.MariaDbConnector"
        );
        assert!(!format!("{c:?}").contains("dbz"));
    }

    #[test]
    fn an_instance_reports_the_debezium_version_its_layout_reproduces() {
        let with = |v: Option<&str>| {
            let mut props = Props::new();
            if let Some(v) = v {
                props.insert("sluice.debezium.version".into(), v.into());
            }
            props
        };
        assert_eq!(MySqlConnector::version(&with(None)), "2.2.0.Final");
        assert_eq!(MySqlConnector::version(&with(Some("2.2"))), "2.2.0.Final");
        assert_eq!(MySqlConnector::version(&with(Some(" 3.6 "))), "3.6.3.Final");
        assert_eq!(MariaDbConnector::version(&with(Some("3.6"))), "3.6.3.Final");
    }

    #[test]
    fn offset_alterations_are_checked() {
        let part = crate::offset::partition("dbserver1");
        let ok =
            SourceOffset(serde_json::from_str(r#"{"file":"mysql-bin.000003","pos":154}"#).unwrap());
        assert!(MySqlConnector::alter_offsets(&Props::new(), &[(part.clone(), Some(ok))]).unwrap());
        let bad = SourceOffset(serde_json::from_str(r#"{"pos":154}"#).unwrap());
        assert!(MySqlConnector::alter_offsets(&Props::new(), &[(part, Some(bad))]).is_err());
        assert!(
            MySqlConnector::alter_offsets(&Props::new(), &[(SourcePartition::default(), None)])
                .is_err()
        );
    }
}

//! Connections to the server: options (TLS per `database.ssl.mode`), and the connect call that
//! turns driver failures into messages an operator can act on. Every reader opens its
//! connections here.

use std::time::Duration;

use crate::config::{MySqlConfig, SslMode};
use crate::error::{CdcError, Result};

/// Connection options for `config`, with TLS when `tls` (see [`ssl_opts`]).
pub(crate) fn opts(config: &MySqlConfig, tls: bool) -> mysql_async::Opts {
    mysql_async::OptsBuilder::default()
        .ip_or_hostname(config.hostname.clone())
        .tcp_port(config.port)
        .user(Some(config.user.clone()))
        .pass(Some(config.password.clone()))
        .prefer_socket(false)
        .ssl_opts(if tls { ssl_opts(config) } else { None })
        .into()
}

/// TLS settings for `database.ssl.mode`, as MySQL's client modes mean them: `preferred` and
/// `required` encrypt without verifying, `verify_ca` checks the chain against
/// `database.ssl.truststore` (or the bundled Mozilla roots), `verify_identity` also the host
/// name. Known limit: mysql_async 0.37 recognises rustls's "not valid for name" error by its
/// old text, so `verify_ca` also checks the host name today (stricter, never weaker): give
/// `database.hostname` as a name the certificate holds.
pub(crate) fn ssl_opts(config: &MySqlConfig) -> Option<mysql_async::SslOpts> {
    let verify = match config.ssl_mode {
        SslMode::Disabled => return None,
        SslMode::Preferred | SslMode::Required => None,
        SslMode::VerifyCa => Some(false),
        SslMode::VerifyIdentity => Some(true),
    };
    let mut ssl = mysql_async::SslOpts::default()
        .with_danger_accept_invalid_certs(verify.is_none())
        .with_danger_skip_domain_validation(verify != Some(true));
    if let Some(ca) = &config.ssl_truststore {
        ssl = ssl.with_root_certs(vec![ca.clone().into()]);
    }
    if let Some(key) = &config.ssl_keystore {
        // One PEM file holds the chain and the key, like Debezium's single keystore.
        ssl = ssl.with_client_identity(Some(mysql_async::ClientIdentity::new(
            key.clone().into(),
            key.clone().into(),
        )));
    }
    Some(ssl)
}

/// Opens a connection, turning failures into messages an operator can act on.
pub(crate) async fn connect(config: &MySqlConfig) -> Result<mysql_async::Conn> {
    match connect_with(config, config.ssl_mode != SslMode::Disabled).await {
        // `preferred`: a server without TLS, or whose TLS rustls cannot speak (TLS 1.0/1.1,
        // weak keys), gets a plain connection, as MySQL's client falls back.
        Err(CdcError::Database { source, .. })
            if config.ssl_mode == SslMode::Preferred
                && matches!(
                    source,
                    mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer)
                        | mysql_async::Error::Io(mysql_async::IoError::Tls(_))
                ) =>
        {
            connect_with(config, false).await
        }
        other => other,
    }
}

async fn connect_with(config: &MySqlConfig, tls: bool) -> Result<mysql_async::Conn> {
    let target = format!(
        "{}:{} as user '{}'",
        config.hostname, config.port, config.user
    );
    let timeout = Duration::from_millis(config.connect_timeout_ms);
    match tokio::time::timeout(timeout, mysql_async::Conn::new(opts(config, tls))).await {
        Err(_) => Err(CdcError::ServerSetup(format!(
            "Timed out after {} ms connecting to MySQL at {target}",
            config.connect_timeout_ms
        ))),
        Ok(Err(e)) => {
            let hint = match &e {
                mysql_async::Error::Server(s) if s.code == 1045 => {
                    " (check database.user and database.password)"
                }
                mysql_async::Error::Io(_) if tls => {
                    " (check database.hostname and database.port, and database.ssl.mode with its truststore/keystore)"
                }
                mysql_async::Error::Io(_) => " (check database.hostname and database.port)",
                mysql_async::Error::Driver(mysql_async::DriverError::NoClientSslFlagFromServer) => {
                    " (the server does not offer TLS, which database.ssl.mode requires)"
                }
                _ => "",
            };
            Err(CdcError::db(
                format!("Unable to connect to MySQL at {target}{hint}"),
                e,
            ))
        }
        Ok(Ok(mut c)) => {
            use mysql_async::prelude::Queryable;
            for st in &config.initial_statements {
                c.query_drop(st.as_str()).await.map_err(|e| {
                    CdcError::db(format!("database.initial.statements: '{st}' failed"), e)
                })?;
            }
            Ok(c)
        }
    }
}

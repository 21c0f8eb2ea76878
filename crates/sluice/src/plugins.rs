//! The plugins this binary ships, registered explicitly (no linker tricks: a list is easy to
//! read and grep).

use connect_runtime::registry::PluginRegistry;

/// Every connector and converter plugin.
pub(crate) fn registry() -> anyhow::Result<PluginRegistry> {
    PluginRegistry::builder()
        .source::<connect_file::FileStreamSourceConnector>()
        .sink::<connect_file::FileStreamSinkConnector>()
        .source::<connect_mysql_cdc::connector::MySqlConnector>()
        .source::<connect_mysql_cdc::connector::MariaDbConnector>()
        .sink::<connect_s3_sink::S3SinkConnector>()
        .converters(connect_converters::plugins())
        .build()
        .map_err(anyhow::Error::msg)
}

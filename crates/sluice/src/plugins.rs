//! The plugins this binary ships, registered explicitly (no linker tricks: a list is easy to
//! read and grep).

use connect_runtime::registry::PluginRegistry;

/// Every connector, converter, transformation and predicate plugin.
pub(crate) fn registry() -> anyhow::Result<PluginRegistry> {
    PluginRegistry::builder()
        .source::<connect_file::FileStreamSourceConnector>()
        .sink::<connect_file::FileStreamSinkConnector>()
        .source::<connect_mysql_cdc::connector::MySqlConnector>()
        .source::<connect_mysql_cdc::connector::MariaDbConnector>()
        .sink::<connect_s3_sink::S3SinkConnector>()
        .converters(connect_converters::plugins())
        .transformations(connect_transforms::transformations())
        .predicates(connect_transforms::predicates())
        .build()
        .map_err(anyhow::Error::msg)
}

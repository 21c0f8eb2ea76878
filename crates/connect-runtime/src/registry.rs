//! The plugin registry: every connector and converter this binary ships, keyed by Java class name
//! and Kafka's aliases.
//!
//! Plugins are registered explicitly by the binary (no linker tricks). Connector authors implement
//! the typed traits of `connect-api`; this module erases them behind object-safe traits through a
//! blanket impl over `PhantomData<C>`, so the `Props → ParsedConfig → C::Config` step lives in one
//! place and authors never see raw properties after `from_parsed`.

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroU32;
use std::sync::Arc;

use async_trait::async_trait;
use connect_api::config::{ConfigDef, ConfigReport, ConnectorConfig};
use connect_api::connector::ConnectorContext;
use connect_api::{
    AssignedPartition, ConnectError, ConverterPlugin, OffsetMap, PluginDescriptor, PluginKind,
    PredicatePlugin, Props, SinkConnector, SinkRecord, SinkTask, SinkTaskContext, SourceConnector,
    SourceOffset, SourcePartition, SourceRecord, SourceTask, SourceTaskContext, TopicPartition,
    TransformationPlugin,
};

/// A source or sink connector plugin, type-erased.
#[async_trait]
pub trait DynConnectorPlugin: Send + Sync + fmt::Debug {
    fn descriptor(&self) -> &PluginDescriptor;
    /// The plugin's own definition (framework keys are merged in by the herder).
    fn config_def(&self) -> &'static ConfigDef;
    /// The definition that applies to `props` ([`ConnectorConfig::config_def_for`]).
    fn config_def_for(&self, props: &Props) -> &'static ConfigDef;
    /// The version an instance configured with `props` reports (`Connector.version()`).
    fn version_for(&self, props: &Props) -> &'static str;
    /// Both parsing phases, then the connector's own `validate` (which may connect to the
    /// system it reads or writes): every field error in one report.
    async fn validate(&self, props: &Props) -> ConfigReport;
    async fn start(
        &self,
        ctx: ConnectorContext,
        props: &Props,
    ) -> Result<Box<dyn RunningConnector>, ConnectError>;
    /// Source plugins only.
    async fn start_source_task(
        &self,
        ctx: SourceTaskContext,
        props: &Props,
    ) -> Result<Box<dyn DynSourceTask>, ConnectError>;
    /// Sink plugins only.
    async fn start_sink_task(
        &self,
        ctx: SinkTaskContext,
        props: &Props,
    ) -> Result<Box<dyn DynSinkTask>, ConnectError>;
    /// KIP-875 source offsets check.
    fn alter_source_offsets(
        &self,
        props: &Props,
        offsets: &[(SourcePartition, Option<SourceOffset>)],
    ) -> Result<bool, ConnectError>;
    /// KIP-875 sink offsets check.
    fn alter_sink_offsets(
        &self,
        props: &Props,
        offsets: &[(TopicPartition, Option<i64>)],
    ) -> Result<bool, ConnectError>;
}

/// A started connector instance.
#[async_trait]
pub trait RunningConnector: Send + Sync + fmt::Debug {
    fn task_configs(&self, max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError>;
    async fn stop(&mut self) -> Result<(), ConnectError>;
}

/// A started source task.
#[async_trait]
pub trait DynSourceTask: Send {
    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError>;
    async fn commit_record(&mut self, record: &SourceRecord) -> Result<(), ConnectError>;
    async fn commit(&mut self) -> Result<(), ConnectError>;
    async fn stop(&mut self) -> Result<(), ConnectError>;
    /// [`SourceTask::READS_COMMITTED_RECORDS`].
    fn reads_committed_records(&self) -> bool;
}

/// A started sink task.
#[async_trait]
pub trait DynSinkTask: Send {
    async fn open(&mut self, partitions: &[AssignedPartition]) -> Result<(), ConnectError>;
    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError>;
    async fn pre_commit(&mut self, current: &OffsetMap) -> Result<OffsetMap, ConnectError>;
    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<(), ConnectError>;
    async fn stop(&mut self) -> Result<(), ConnectError>;
}

fn validate_with<C: ConnectorConfig>(props: &Props) -> ConfigReport {
    let outcome = C::config_def_for(props).parse(props);
    let mut report = outcome.report;
    if report.error_count() == 0
        && let Err(errors) = C::from_parsed(&outcome.parsed)
    {
        report.add_errors(&errors);
    }
    report
}

fn parse_with<C: ConnectorConfig>(props: &Props) -> Result<C, ConnectError> {
    C::parse(props).map_err(ConnectError::Config)
}

/// Erases a [`SourceConnector`].
pub struct SourcePlugin<C>(PhantomData<fn() -> C>);

impl<C> fmt::Debug for SourcePlugin<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SourcePlugin")
    }
}

/// Erases a [`SinkConnector`].
pub struct SinkPlugin<C>(PhantomData<fn() -> C>);

impl<C> fmt::Debug for SinkPlugin<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SinkPlugin")
    }
}

struct Running<C>(C);

impl<C> fmt::Debug for Running<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RunningConnector")
    }
}

#[async_trait]
impl<C: SourceConnector> RunningConnector for Running<SourceC<C>> {
    fn task_configs(&self, max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError> {
        self.0.0.task_configs(max_tasks)
    }
    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.0.0.stop().await
    }
}

#[async_trait]
impl<C: SinkConnector> RunningConnector for Running<SinkC<C>> {
    fn task_configs(&self, max_tasks: NonZeroU32) -> Result<Vec<Props>, ConnectError> {
        self.0.0.task_configs(max_tasks)
    }
    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.0.0.stop().await
    }
}

// Wrappers that keep the source and sink blanket impls of `RunningConnector` from overlapping.
struct SourceC<C>(C);
struct SinkC<C>(C);

struct TaskBox<T>(T);

#[async_trait]
impl<T: SourceTask> DynSourceTask for TaskBox<T> {
    async fn poll(&mut self) -> Result<Vec<SourceRecord>, ConnectError> {
        self.0.poll().await
    }
    async fn commit_record(&mut self, record: &SourceRecord) -> Result<(), ConnectError> {
        self.0.commit_record(record).await
    }
    fn reads_committed_records(&self) -> bool {
        T::READS_COMMITTED_RECORDS
    }
    async fn commit(&mut self) -> Result<(), ConnectError> {
        self.0.commit().await
    }
    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.0.stop().await
    }
}

#[async_trait]
impl<T: SinkTask> DynSinkTask for TaskBox<T> {
    async fn open(&mut self, partitions: &[AssignedPartition]) -> Result<(), ConnectError> {
        self.0.open(partitions).await
    }
    async fn put(&mut self, records: &[SinkRecord]) -> Result<(), ConnectError> {
        self.0.put(records).await
    }
    async fn pre_commit(&mut self, current: &OffsetMap) -> Result<OffsetMap, ConnectError> {
        self.0.pre_commit(current).await
    }
    async fn close(&mut self, partitions: &[TopicPartition]) -> Result<(), ConnectError> {
        self.0.close(partitions).await
    }
    async fn stop(&mut self) -> Result<(), ConnectError> {
        self.0.stop().await
    }
}

fn not_a(kind: &str, class: &str) -> ConnectError {
    ConnectError::fatal(format!("{class} is not a {kind} connector"))
}

#[async_trait]
impl<C: SourceConnector> DynConnectorPlugin for SourcePlugin<C> {
    fn descriptor(&self) -> &PluginDescriptor {
        &C::DESCRIPTOR
    }
    fn config_def(&self) -> &'static ConfigDef {
        C::Config::config_def()
    }
    fn config_def_for(&self, props: &Props) -> &'static ConfigDef {
        C::Config::config_def_for(props)
    }
    fn version_for(&self, props: &Props) -> &'static str {
        C::version(props)
    }
    async fn validate(&self, props: &Props) -> ConfigReport {
        C::validate(props, validate_with::<C::Config>(props)).await
    }
    async fn start(
        &self,
        ctx: ConnectorContext,
        props: &Props,
    ) -> Result<Box<dyn RunningConnector>, ConnectError> {
        let config = parse_with::<C::Config>(props)?;
        let c = C::start(ctx, config).await?;
        Ok(Box::new(Running(SourceC(c))))
    }
    async fn start_source_task(
        &self,
        ctx: SourceTaskContext,
        props: &Props,
    ) -> Result<Box<dyn DynSourceTask>, ConnectError> {
        let config = parse_with::<<C::Task as SourceTask>::Config>(props)?;
        let task = C::Task::start(ctx, config).await?;
        Ok(Box::new(TaskBox(task)))
    }
    async fn start_sink_task(
        &self,
        _ctx: SinkTaskContext,
        _props: &Props,
    ) -> Result<Box<dyn DynSinkTask>, ConnectError> {
        Err(not_a("sink", C::DESCRIPTOR.class))
    }
    fn alter_source_offsets(
        &self,
        props: &Props,
        offsets: &[(SourcePartition, Option<SourceOffset>)],
    ) -> Result<bool, ConnectError> {
        C::alter_offsets(props, offsets)
    }
    fn alter_sink_offsets(
        &self,
        _props: &Props,
        _offsets: &[(TopicPartition, Option<i64>)],
    ) -> Result<bool, ConnectError> {
        Err(not_a("sink", C::DESCRIPTOR.class))
    }
}

#[async_trait]
impl<C: SinkConnector> DynConnectorPlugin for SinkPlugin<C> {
    fn descriptor(&self) -> &PluginDescriptor {
        &C::DESCRIPTOR
    }
    fn config_def(&self) -> &'static ConfigDef {
        C::Config::config_def()
    }
    fn config_def_for(&self, props: &Props) -> &'static ConfigDef {
        C::Config::config_def_for(props)
    }
    fn version_for(&self, props: &Props) -> &'static str {
        C::version(props)
    }
    async fn validate(&self, props: &Props) -> ConfigReport {
        C::validate(props, validate_with::<C::Config>(props)).await
    }
    async fn start(
        &self,
        ctx: ConnectorContext,
        props: &Props,
    ) -> Result<Box<dyn RunningConnector>, ConnectError> {
        let config = parse_with::<C::Config>(props)?;
        let c = C::start(ctx, config).await?;
        Ok(Box::new(Running(SinkC(c))))
    }
    async fn start_source_task(
        &self,
        _ctx: SourceTaskContext,
        _props: &Props,
    ) -> Result<Box<dyn DynSourceTask>, ConnectError> {
        Err(not_a("source", C::DESCRIPTOR.class))
    }
    async fn start_sink_task(
        &self,
        ctx: SinkTaskContext,
        props: &Props,
    ) -> Result<Box<dyn DynSinkTask>, ConnectError> {
        let config = parse_with::<<C::Task as SinkTask>::Config>(props)?;
        let task = C::Task::start(ctx, config).await?;
        Ok(Box::new(TaskBox(task)))
    }
    fn alter_source_offsets(
        &self,
        _props: &Props,
        _offsets: &[(SourcePartition, Option<SourceOffset>)],
    ) -> Result<bool, ConnectError> {
        Err(not_a("source", C::DESCRIPTOR.class))
    }
    fn alter_sink_offsets(
        &self,
        props: &Props,
        offsets: &[(TopicPartition, Option<i64>)],
    ) -> Result<bool, ConnectError> {
        C::alter_offsets(props, offsets)
    }
}

/// Kafka's alias rules (`PluginUtils.simpleName` / `prunedName`): the simple class name, and the
/// simple name without its kind suffix (`FileStreamSourceConnector` → `FileStreamSource`).
pub fn aliases_of(class: &str, kind: PluginKind) -> Vec<String> {
    // Java's `getSimpleName`: a nested class (`Cast$Value`) is known by its own name (`Value`),
    // which is ambiguous among transforms and so dropped, as in Kafka.
    let simple = class.rsplit('.').next().unwrap_or(class);
    let simple = simple.rsplit('$').next().unwrap_or(simple).to_owned();
    let suffix = match kind {
        PluginKind::Source | PluginKind::Sink => "Connector",
        PluginKind::Converter => "Converter",
        PluginKind::HeaderConverter => "HeaderConverter",
        PluginKind::Transformation => "Transformation",
        PluginKind::Predicate => "Predicate",
    };
    let mut out = vec![simple.clone()];
    if let Some(pruned) = simple.strip_suffix(suffix)
        && !pruned.is_empty()
    {
        out.push(pruned.to_owned());
    }
    out
}

/// Every plugin of this binary.
#[derive(Debug, Default, Clone)]
pub struct PluginRegistry {
    connectors: Vec<Arc<dyn DynConnectorPlugin>>,
    converters: Vec<Arc<dyn ConverterPlugin>>,
    transformations: Vec<Arc<dyn TransformationPlugin>>,
    predicates: Vec<Arc<dyn PredicatePlugin>>,
    /// class name or alias → index into `connectors`
    connector_names: HashMap<String, usize>,
    converter_names: HashMap<String, usize>,
    transformation_names: HashMap<String, usize>,
    predicate_names: HashMap<String, usize>,
}

/// Builds a [`PluginRegistry`].
#[derive(Debug, Default)]
#[must_use]
pub struct PluginRegistryBuilder {
    connectors: Vec<Arc<dyn DynConnectorPlugin>>,
    converters: Vec<Arc<dyn ConverterPlugin>>,
    transformations: Vec<Arc<dyn TransformationPlugin>>,
    predicates: Vec<Arc<dyn PredicatePlugin>>,
}

impl PluginRegistryBuilder {
    pub fn source<C: SourceConnector>(mut self) -> Self {
        self.connectors
            .push(Arc::new(SourcePlugin::<C>(PhantomData)));
        self
    }

    pub fn sink<C: SinkConnector>(mut self) -> Self {
        self.connectors.push(Arc::new(SinkPlugin::<C>(PhantomData)));
        self
    }

    pub fn converter(mut self, plugin: Arc<dyn ConverterPlugin>) -> Self {
        self.converters.push(plugin);
        self
    }

    pub fn converters(
        mut self,
        plugins: impl IntoIterator<Item = Arc<dyn ConverterPlugin>>,
    ) -> Self {
        self.converters.extend(plugins);
        self
    }

    pub fn transformations(
        mut self,
        plugins: impl IntoIterator<Item = Box<dyn TransformationPlugin>>,
    ) -> Self {
        self.transformations
            .extend(plugins.into_iter().map(Arc::from));
        self
    }

    pub fn predicates(
        mut self,
        plugins: impl IntoIterator<Item = Box<dyn PredicatePlugin>>,
    ) -> Self {
        self.predicates.extend(plugins.into_iter().map(Arc::from));
        self
    }

    /// # Errors
    /// On two plugins with the same class name. Colliding aliases are dropped (and logged), as
    /// Kafka's `computeAliases` does.
    pub fn build(self) -> Result<PluginRegistry, String> {
        let mut reg = PluginRegistry {
            connectors: self.connectors,
            converters: self.converters,
            transformations: self.transformations,
            predicates: self.predicates,
            ..PluginRegistry::default()
        };
        reg.connector_names = index(reg.connectors.iter().map(|p| *p.descriptor()))?;
        reg.converter_names = index(reg.converters.iter().map(|p| *p.descriptor()))?;
        reg.transformation_names = index(reg.transformations.iter().map(|p| *p.descriptor()))?;
        reg.predicate_names = index(reg.predicates.iter().map(|p| *p.descriptor()))?;
        Ok(reg)
    }
}

fn index(descs: impl Iterator<Item = PluginDescriptor>) -> Result<HashMap<String, usize>, String> {
    let descs: Vec<_> = descs.collect();
    let mut names = HashMap::new();
    for (i, d) in descs.iter().enumerate() {
        if names.insert(d.class.to_owned(), i).is_some() {
            return Err(format!("plugin class {} registered twice", d.class));
        }
    }
    let mut alias_count: HashMap<String, usize> = HashMap::new();
    let mut alias_of = Vec::new();
    for (i, d) in descs.iter().enumerate() {
        let mut all = aliases_of(d.class, d.kind);
        all.extend(d.extra_aliases.iter().map(|s| (*s).to_owned()));
        // A plugin naming one of its computed aliases again must not make it ambiguous.
        all.sort();
        all.dedup();
        for a in all {
            *alias_count.entry(a.clone()).or_default() += 1;
            alias_of.push((a, i));
        }
    }
    let mut ambiguous = std::collections::BTreeSet::new();
    for (alias, i) in alias_of {
        if alias_count.get(&alias) == Some(&1) && !names.contains_key(&alias) {
            names.insert(alias, i);
        } else if !names.contains_key(&alias) {
            ambiguous.insert(alias);
        }
    }
    // Expected for nested classes (every `Cast$Key` is known as `Key`), so not a warning.
    if !ambiguous.is_empty() {
        tracing::debug!(?ambiguous, "Ignoring ambiguous plugin aliases.");
    }
    Ok(names)
}

impl PluginRegistry {
    pub fn builder() -> PluginRegistryBuilder {
        PluginRegistryBuilder::default()
    }

    /// A connector by class name or alias (exact class first).
    pub fn connector(&self, name: &str) -> Option<&Arc<dyn DynConnectorPlugin>> {
        self.connector_names
            .get(name.trim())
            .map(|&i| &self.connectors[i])
    }

    /// A converter or header converter by class name or alias.
    pub fn converter(&self, name: &str) -> Option<&Arc<dyn ConverterPlugin>> {
        self.converter_names
            .get(name.trim())
            .map(|&i| &self.converters[i])
    }

    /// A transformation by class name or alias.
    pub fn transformation(&self, name: &str) -> Option<&Arc<dyn TransformationPlugin>> {
        self.transformation_names
            .get(name.trim())
            .map(|&i| &self.transformations[i])
    }

    /// A predicate by class name or alias.
    pub fn predicate(&self, name: &str) -> Option<&Arc<dyn PredicatePlugin>> {
        self.predicate_names
            .get(name.trim())
            .map(|&i| &self.predicates[i])
    }

    pub fn transformations(&self) -> &[Arc<dyn TransformationPlugin>] {
        &self.transformations
    }

    pub fn predicates(&self) -> &[Arc<dyn PredicatePlugin>] {
        &self.predicates
    }

    /// Whether `name` resolves to any plugin of this binary (for "Not a Transformation"
    /// versus "could not be found").
    pub fn knows_class(&self, name: &str) -> bool {
        self.connector(name).is_some()
            || self.converter(name).is_some()
            || self.transformation(name).is_some()
            || self.predicate(name).is_some()
    }

    pub fn connectors(&self) -> &[Arc<dyn DynConnectorPlugin>] {
        &self.connectors
    }

    pub fn converters(&self) -> &[Arc<dyn ConverterPlugin>] {
        &self.converters
    }

    /// Kafka's text for an unknown `connector.class`.
    pub fn unknown_connector_message(&self, class: &str) -> String {
        let mut descs: Vec<_> = self.connectors.iter().map(|p| *p.descriptor()).collect();
        descs.sort_by_key(|d| d.class);
        let listed: Vec<String> = descs
            .iter()
            .map(|d| {
                format!(
                    "PluginDesc{{klass=class {}, name='{}', version='{}', encodedVersion={}, type={}, typeName='{}', location='classpath'}}",
                    d.class,
                    d.class,
                    d.version,
                    d.version,
                    d.kind.as_str(),
                    d.kind.as_str()
                )
            })
            .collect();
        format!(
            "Failed to find any class that implements Connector and which name matches {class}, available connectors are: {}",
            listed.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_given_twice_by_one_plugin_still_resolves() {
        let mut names = index(
            [PluginDescriptor {
                class: "io.debezium.connector.mysql.MySqlConnector",
                extra_aliases: &["MySqlConnector", "MySql"],
                kind: PluginKind::Source,
                version: "2.2.0.Final",
            }]
            .into_iter(),
        )
        .unwrap();
        assert_eq!(names.remove("MySqlConnector"), Some(0));
        assert_eq!(names.remove("MySql"), Some(0));
    }

    #[test]
    fn aliases_follow_kafka_simple_and_pruned_names() {
        assert_eq!(
            aliases_of(
                "org.apache.kafka.connect.file.FileStreamSourceConnector",
                PluginKind::Source
            ),
            ["FileStreamSourceConnector", "FileStreamSource"]
        );
        assert_eq!(
            aliases_of("io.confluent.connect.s3.S3SinkConnector", PluginKind::Sink),
            ["S3SinkConnector", "S3Sink"]
        );
        assert_eq!(
            aliases_of(
                "org.apache.kafka.connect.json.JsonConverter",
                PluginKind::Converter
            ),
            ["JsonConverter", "Json"]
        );
    }
}

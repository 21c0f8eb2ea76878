//! Records that flow between tasks and the runtime.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value as Json};

use crate::data::SchemaAndValue;

/// A Kafka topic partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// Next offset to consume, per partition (Kafka's committed-offset convention: the offset of the
/// first record *not yet* processed).
pub type OffsetMap = BTreeMap<TopicPartition, i64>;

/// Where a source record came from (`sourcePartition`). A newtype so that it cannot be passed where
/// an offset is expected; JSON because it round-trips through the offsets topic as JSON. Shared,
/// because a source stamps the same partition on every record it reads from it (a CDC task's
/// queue holds thousands): a clone is a reference count, not a map.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourcePartition(pub Arc<Map<String, Json>>);

/// How far into its partition a source has read (`sourceOffset`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceOffset(pub Map<String, Json>);

/// A source's own, typed form of an offset, which becomes Kafka Connect's map only when the
/// worker needs it (see [`RecordOffset`]).
pub trait OffsetForm: fmt::Debug + Send + Sync {
    /// The offset as Kafka Connect stores it.
    fn to_offset(&self) -> SourceOffset;

    /// Roughly the memory it holds beside its own size (for `max.queue.size.in.bytes`).
    fn heap_size(&self) -> usize;
}

/// A source record's offset: the map, or the source's typed form of it ([`OffsetForm`]).
///
/// A CDC task stamps its offset on every record, but the worker stores only the newest of each
/// batch and partition: each record's map (a B-tree node and a string per key, ~1 KB in the
/// task's queue) was built and dropped unread. A typed offset is one small allocation, made a
/// map once per batch. Two offsets are equal when their maps are.
#[derive(Clone)]
pub enum RecordOffset {
    Map(SourceOffset),
    Typed(Arc<dyn OffsetForm>),
}

impl RecordOffset {
    /// The offset's map (built, for a typed offset).
    pub fn to_offset(&self) -> SourceOffset {
        match self {
            RecordOffset::Map(m) => m.clone(),
            RecordOffset::Typed(t) => t.to_offset(),
        }
    }

    /// As [`RecordOffset::to_offset`], without copying a map.
    pub fn into_offset(self) -> SourceOffset {
        match self {
            RecordOffset::Map(m) => m,
            RecordOffset::Typed(t) => t.to_offset(),
        }
    }
}

impl Default for RecordOffset {
    fn default() -> Self {
        RecordOffset::Map(SourceOffset::default())
    }
}

impl From<SourceOffset> for RecordOffset {
    fn from(o: SourceOffset) -> Self {
        RecordOffset::Map(o)
    }
}

impl PartialEq for RecordOffset {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RecordOffset::Map(a), RecordOffset::Map(b)) => a == b,
            _ => self.to_offset() == other.to_offset(),
        }
    }
}

impl Eq for RecordOffset {}

/// Printed as its map, typed or not.
impl fmt::Debug for RecordOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordOffset::Map(m) => m.fmt(f),
            RecordOffset::Typed(t) => t.to_offset().fmt(f),
        }
    }
}

impl SourcePartition {
    pub fn new(map: Map<String, Json>) -> Self {
        Self(Arc::new(map))
    }

    /// Canonical JSON bytes, usable as a map key (serde_json keeps keys sorted).
    pub fn key(&self) -> String {
        // A map of JSON values always serializes; the fallback is unreachable.
        serde_json::to_string(&*self.0).unwrap_or_default()
    }

    /// The partition's map, copied only when another record still shares it.
    pub fn into_map(self) -> Map<String, Json> {
        Arc::unwrap_or_clone(self.0)
    }
}

/// A record header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    pub key: String,
    pub value: SchemaAndValue,
}

/// Record headers in order; keys may repeat, as in Kafka.
///
/// The list is shared until it is changed (copy on write): a source that stamps the same
/// headers on every record (Debezium 3's four `__debezium.context.*` headers) hands each record
/// a reference, not four keys and four values of its own: those copies, and converting them
/// again per record, were most of what Debezium 3's output cost over Debezium 2's (BENCHMARKS.md).
/// A list with no headers is `None` and allocates nothing.
#[derive(Clone, Default)]
pub struct Headers(Option<Arc<Vec<Header>>>);

/// Printed as the list it is, shared or not.
impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Headers {
    pub const fn new() -> Self {
        Self(None)
    }

    /// The list to change, copied first if another record shares it.
    pub fn to_mut(&mut self) -> &mut Vec<Header> {
        Arc::make_mut(self.0.get_or_insert_with(Default::default))
    }

    pub fn push(&mut self, header: Header) {
        self.to_mut().push(header);
    }

    /// Keeps the headers `keep` accepts, calling it once per header in order; a shared list
    /// is copied only when one is dropped.
    pub fn retain(&mut self, mut keep: impl FnMut(&Header) -> bool) {
        let Some(first_dropped) = self.iter().position(|h| !keep(h)) else {
            return;
        };
        // Those before the first dropped one stay and `keep` is not asked about them again.
        let list = self.to_mut();
        let rest = list.split_off(first_dropped + 1);
        list.pop();
        list.extend(rest.into_iter().filter(|h| keep(h)));
        if list.is_empty() {
            self.0 = None;
        }
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }

    /// Appends `other`'s headers; onto an empty list that is a reference to `other`'s.
    pub fn append_shared(&mut self, other: &Headers) {
        if self.is_empty() {
            self.clone_from(other);
        } else if !other.is_empty() {
            self.to_mut().extend(other.iter().cloned());
        }
    }

    /// Whether both are the same list (not only equal ones): what a converter already turned
    /// into bytes for one record holds for the next that shares its list.
    pub fn same_list(a: &Headers, b: &Headers) -> bool {
        match (&a.0, &b.0) {
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// Whether another record holds this list too.
    pub fn is_shared(&self) -> bool {
        self.0.as_ref().is_some_and(|l| Arc::strong_count(l) > 1)
    }
}

impl std::ops::Deref for Headers {
    type Target = [Header];

    fn deref(&self) -> &[Header] {
        self.0.as_deref().map_or(&[], Vec::as_slice)
    }
}

impl PartialEq for Headers {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl From<Vec<Header>> for Headers {
    fn from(list: Vec<Header>) -> Self {
        if list.is_empty() {
            Self(None)
        } else {
            Self(Some(Arc::new(list)))
        }
    }
}

impl FromIterator<Header> for Headers {
    fn from_iter<I: IntoIterator<Item = Header>>(iter: I) -> Self {
        Self::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl Extend<Header> for Headers {
    fn extend<I: IntoIterator<Item = Header>>(&mut self, iter: I) {
        let mut iter = iter.into_iter().peekable();
        if iter.peek().is_some() {
            self.to_mut().extend(iter);
        }
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A record produced by a source task (`SourceRecord`).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceRecord {
    pub source_partition: SourcePartition,
    pub source_offset: RecordOffset,
    pub topic: String,
    /// `None` lets the producer's partitioner choose (by key hash).
    pub kafka_partition: Option<i32>,
    pub key: SchemaAndValue,
    pub value: SchemaAndValue,
    /// Milliseconds since the epoch; `None` lets the producer stamp it.
    pub timestamp: Option<i64>,
    pub headers: Headers,
}

impl SourceRecord {
    /// A record with no explicit partition, timestamp or headers.
    pub fn new(
        source_partition: SourcePartition,
        source_offset: impl Into<RecordOffset>,
        topic: impl Into<String>,
        key: SchemaAndValue,
        value: SchemaAndValue,
    ) -> Self {
        Self {
            source_partition,
            source_offset: source_offset.into(),
            topic: topic.into(),
            kafka_partition: None,
            key,
            value,
            timestamp: None,
            headers: Headers::new(),
        }
    }

    /// Roughly the memory this record holds (see [`crate::data::Value::approximate_size`]); a shared source
    /// partition or header list is not counted.
    pub fn approximate_size(&self) -> usize {
        fn map(m: &Map<String, Json>) -> usize {
            // serde_json's map is a B-tree of 11-entry nodes; each entry owns a key and a value.
            let entries = m.len().div_ceil(11) * 11;
            entries * (std::mem::size_of::<String>() + std::mem::size_of::<Json>())
                + m.iter().map(|(k, v)| k.capacity() + json(v)).sum::<usize>()
        }
        fn json(v: &Json) -> usize {
            match v {
                Json::String(s) => s.capacity(),
                Json::Array(a) => a
                    .iter()
                    .map(|v| std::mem::size_of::<Json>() + json(v))
                    .sum(),
                Json::Object(m) => map(m),
                _ => 0,
            }
        }
        let headers: &[Header] = if self.headers.is_shared() {
            &[]
        } else {
            &self.headers
        };
        std::mem::size_of::<Self>()
            + self.topic.capacity()
            + match &self.source_offset {
                RecordOffset::Map(m) => map(&m.0),
                RecordOffset::Typed(t) => std::mem::size_of_val(&**t) + t.heap_size(),
            }
            + self.key.value.heap_size()
            + self.value.value.heap_size()
            + headers
                .iter()
                .map(|h| {
                    std::mem::size_of::<Header>() + h.key.capacity() + h.value.value.heap_size()
                })
                .sum::<usize>()
    }
}

/// Kafka's timestamp type of a consumed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampType {
    NoTimestampType,
    CreateTime,
    LogAppendTime,
}

/// A record delivered to a sink task (`SinkRecord`).
#[derive(Debug, Clone, PartialEq)]
pub struct SinkRecord {
    pub topic: String,
    pub kafka_partition: i32,
    pub kafka_offset: i64,
    pub key: SchemaAndValue,
    pub value: SchemaAndValue,
    pub timestamp: Option<i64>,
    pub timestamp_type: TimestampType,
    pub headers: Headers,
    /// The key bytes as read from Kafka, before conversion. Byte-oriented formats and fast paths
    /// (schemaless JSON written back as JSON) use them to avoid a decode/encode round trip.
    pub raw_key: Option<Bytes>,
    /// The value bytes as read from Kafka, before conversion.
    pub raw_value: Option<Bytes>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Value;

    fn header(key: &str, value: &str) -> Header {
        Header {
            key: key.into(),
            value: SchemaAndValue::schemaless(Value::String(value.into())),
        }
    }

    fn keys(h: &Headers) -> Vec<&str> {
        h.iter().map(|h| h.key.as_str()).collect()
    }

    #[derive(Debug)]
    struct Position(i64);

    impl OffsetForm for Position {
        fn to_offset(&self) -> SourceOffset {
            let mut m = Map::new();
            m.insert("position".into(), self.0.into());
            SourceOffset(m)
        }

        fn heap_size(&self) -> usize {
            0
        }
    }

    #[test]
    fn a_typed_offset_is_equal_to_and_printed_as_its_map() {
        let typed = RecordOffset::Typed(Arc::new(Position(7)));
        let map = Position(7).to_offset();
        assert_eq!(typed, RecordOffset::Map(map.clone()));
        assert_eq!(RecordOffset::Map(map.clone()), typed);
        assert_eq!(typed.to_offset(), map);
        assert_ne!(typed, RecordOffset::Typed(Arc::new(Position(8))));
        assert_eq!(
            format!("{typed:?}"),
            format!("{:?}", RecordOffset::Map(map.clone()))
        );
        assert_eq!(typed.clone().into_offset(), map);
        assert_eq!(RecordOffset::from(map.clone()).into_offset(), map);
    }

    #[test]
    fn a_cloned_header_list_is_shared_until_one_side_changes_it() {
        let template = Headers::from(vec![header("a", "1"), header("b", "2")]);
        let mut record = template.clone();
        assert!(Headers::same_list(&template, &record));
        assert!(record.is_shared());
        record.push(header("c", "3"));
        assert!(!Headers::same_list(&template, &record));
        assert_eq!(keys(&template), ["a", "b"]);
        assert_eq!(keys(&record), ["a", "b", "c"]);
        assert!(!template.is_shared());
    }

    #[test]
    fn retaining_every_header_keeps_the_list_shared() {
        let template = Headers::from(vec![header("a", "1"), header("b", "2")]);
        let mut kept = template.clone();
        kept.retain(|_| true);
        assert!(Headers::same_list(&template, &kept));
        kept.retain(|h| h.key != "a");
        assert_eq!(keys(&kept), ["b"]);
        assert_eq!(keys(&template), ["a", "b"]);
    }

    #[test]
    fn retain_asks_about_each_header_once_in_order() {
        let mut list = Headers::from(vec![header("a", "1"), header("b", "2"), header("a", "3")]);
        let shared = list.clone();
        // Drops only the first `a`: a predicate with state, as `keep` may be.
        let mut asked = Vec::new();
        let mut dropped_one = false;
        list.retain(|h| {
            asked.push(h.key.clone());
            if h.key == "a" && !dropped_one {
                dropped_one = true;
                return false;
            }
            true
        });
        assert_eq!(asked, ["a", "b", "a"]);
        assert_eq!(keys(&list), ["b", "a"]);
        assert_eq!(keys(&shared), ["a", "b", "a"]);
        list.retain(|_| false);
        assert!(list.is_empty());
        assert_eq!(list, Headers::new());
    }

    #[test]
    fn appending_onto_an_empty_list_shares_the_other() {
        let context = Headers::from(vec![header("ctx", "1")]);
        let mut none = Headers::new();
        none.append_shared(&context);
        assert!(Headers::same_list(&none, &context));
        let mut some = Headers::from(vec![header("own", "0")]);
        some.append_shared(&context);
        assert_eq!(keys(&some), ["own", "ctx"]);
        assert_eq!(keys(&context), ["ctx"]);
    }

    #[test]
    fn header_lists_compare_by_content_and_empty_ones_are_not_the_same_list() {
        assert_eq!(Headers::from(Vec::new()), Headers::new());
        assert!(!Headers::same_list(&Headers::new(), &Headers::new()));
        let a = Headers::from(vec![header("a", "1")]);
        let b: Headers = vec![header("a", "1")].into_iter().collect();
        assert_eq!(a, b);
        assert!(!Headers::same_list(&a, &b));
        let mut e = Headers::new();
        e.extend(std::iter::empty());
        assert!(e.is_empty());
    }

    #[test]
    fn a_shared_header_list_is_not_counted_in_a_records_size() {
        let template = Headers::from(vec![header("key", &"v".repeat(1000))]);
        let mut r = SourceRecord::new(
            SourcePartition::new(Map::new()),
            SourceOffset(Map::new()),
            "t",
            SchemaAndValue::NULL,
            SchemaAndValue::NULL,
        );
        let bare = r.approximate_size();
        r.headers = template.clone();
        assert_eq!(r.approximate_size(), bare);
        drop(template);
        assert!(r.approximate_size() >= bare + 1000);
    }
}

//! The converter's bounded schema caches: Kafka's `LRUCache` (least-recently-used eviction,
//! sized by `schemas.cache.size`) and, on top of it, the cache of each schema's JSON.
//!
//! A schema's JSON is what makes an envelope big (a Debezium envelope's schema is ~3 KB, its
//! payload a fraction of that), and the same few schemas come back on every record, so the
//! JSON is written once per schema and copied afterwards.
//!
//! How a schema is recognised: sources share one `SchemaRef` per table, so the first lookup is
//! by the `Arc`'s address — the entry holds the `Arc`, so that address cannot be reused by
//! another schema while the entry lives, and a `Schema` behind a shared `Arc` cannot change.
//! A different `Arc` with the same content (a transform or connector that rebuilds its schema)
//! is then found by a hash of its content and confirmed by [`same_json`], which only accepts
//! schemas whose JSON is the same bytes: it is stricter than `Schema`'s `==`, which ignores the
//! order of the parameters (written in order) and calls `0.0` and `-0.0` equal (written as
//! different text). Kafka keys its cache by `Schema.equals`, so a schema equal to a cached one
//! but with its parameters in another order gets the cached schema's order there; here every
//! schema is written as it is.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use connect_api::{Schema, SchemaRef, Value};
use rustc_hash::FxHasher;

/// No slot (the end of the recency list).
const NIL: usize = usize::MAX;

/// A map of at most `capacity` entries that drops the least recently used one to make room;
/// every operation is O(1).
#[derive(Debug)]
pub(crate) struct Lru<K, V> {
    capacity: usize,
    index: HashMap<K, usize>,
    slots: Vec<Slot<K, V>>,
    /// The most recently used slot.
    newest: usize,
    /// The least recently used slot: the next to go.
    oldest: usize,
}

#[derive(Debug)]
struct Slot<K, V> {
    key: K,
    value: V,
    /// The next more recently used slot.
    newer: usize,
    /// The next less recently used slot.
    older: usize,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            index: HashMap::with_capacity(capacity.min(64)),
            slots: Vec::with_capacity(capacity.min(64)),
            newest: NIL,
            oldest: NIL,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// The value under `key`, which becomes the most recently used.
    pub(crate) fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let slot = *self.index.get(key)?;
        self.make_newest(slot);
        Some(&self.slots[slot].value)
    }

    /// Stores `value` under `key` as the most recently used entry. Returns the entry that left
    /// the cache to make room, or the value `key` had before.
    pub(crate) fn put(&mut self, key: K, value: V) -> Option<(K, V)> {
        if self.capacity == 0 {
            return None;
        }
        if let Some(&slot) = self.index.get(&key) {
            self.make_newest(slot);
            let old = std::mem::replace(&mut self.slots[slot].value, value);
            return Some((key, old));
        }
        if self.slots.len() < self.capacity {
            let slot = self.slots.len();
            self.slots.push(Slot {
                key: key.clone(),
                value,
                newer: NIL,
                older: NIL,
            });
            self.index.insert(key, slot);
            self.link_newest(slot);
            return None;
        }
        // Full: the oldest slot takes the new entry.
        let slot = self.oldest;
        self.make_newest(slot);
        let entry = &mut self.slots[slot];
        let old_key = std::mem::replace(&mut entry.key, key.clone());
        let old_value = std::mem::replace(&mut entry.value, value);
        self.index.remove(&old_key);
        self.index.insert(key, slot);
        Some((old_key, old_value))
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    fn make_newest(&mut self, slot: usize) {
        if self.newest == slot {
            return;
        }
        let Slot { newer, older, .. } = self.slots[slot];
        // `slot` is not the newest, so it has a newer neighbour.
        self.slots[newer].older = older;
        if older == NIL {
            self.oldest = newer;
        } else {
            self.slots[older].newer = newer;
        }
        self.link_newest(slot);
    }

    fn link_newest(&mut self, slot: usize) {
        self.slots[slot].newer = NIL;
        self.slots[slot].older = self.newest;
        if self.newest == NIL {
            self.oldest = slot;
        } else {
            self.slots[self.newest].newer = slot;
        }
        self.newest = slot;
    }
}

/// One cached schema and its JSON.
#[derive(Debug)]
struct Entry {
    /// Held so that the address keying the entry stays this schema's.
    schema: SchemaRef,
    content: u64,
    json: Box<[u8]>,
}

/// What [`SchemaJsonCache::write`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The JSON was appended.
    Hit,
    /// Not cached; the content hash to give [`SchemaJsonCache::insert`] with the JSON.
    Miss(u64),
}

/// The JSON of up to `schemas.cache.size` schemas (`fromConnectSchemaCache`).
#[derive(Debug)]
pub(crate) struct SchemaJsonCache {
    /// Keyed by the schema's address.
    entries: Lru<usize, Entry>,
    /// The address of the entry holding each content hash (the first, should two differ).
    by_content: HashMap<u64, usize>,
    #[cfg(test)]
    hits: u64,
}

impl SchemaJsonCache {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            entries: Lru::new(capacity),
            by_content: HashMap::with_capacity(capacity.min(64)),
            #[cfg(test)]
            hits: 0,
        }
    }

    /// Appends the cached JSON of `schema` to `out`, if it is cached.
    pub(crate) fn write(&mut self, schema: &SchemaRef, out: &mut Vec<u8>) -> Lookup {
        if self.entries.capacity() == 0 {
            return Lookup::Miss(0);
        }
        if let Some(entry) = self.entries.get(&address(schema)) {
            out.extend_from_slice(&entry.json);
            return self.hit();
        }
        let content = content_hash(schema);
        let Some(&other) = self.by_content.get(&content) else {
            return Lookup::Miss(content);
        };
        match self.entries.get(&other) {
            Some(entry) if same_json(&entry.schema, schema) => {
                out.extend_from_slice(&entry.json);
                self.hit()
            }
            _ => Lookup::Miss(content),
        }
    }

    fn hit(&mut self) -> Lookup {
        #[cfg(test)]
        {
            self.hits += 1;
        }
        Lookup::Hit
    }

    /// Caches `json` as the JSON of `schema`, whose content hash is `content`.
    pub(crate) fn insert(&mut self, schema: &SchemaRef, content: u64, json: &[u8]) {
        if self.entries.capacity() == 0 {
            return;
        }
        let address = address(schema);
        let entry = Entry {
            schema: schema.clone(),
            content,
            json: json.into(),
        };
        if let Some((gone, old)) = self.entries.put(address, entry)
            && self.by_content.get(&old.content) == Some(&gone)
        {
            self.by_content.remove(&old.content);
        }
        self.by_content.entry(content).or_insert(address);
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub(crate) fn hits(&self) -> u64 {
        self.hits
    }
}

fn address(schema: &SchemaRef) -> usize {
    Arc::as_ptr(schema) as usize
}

/// A hash of what [`same_json`] compares (defaults left out: they rarely tell schemas apart).
/// FxHash: SipHash costs more than writing the schema; a collision only costs a comparison.
fn content_hash(schema: &Schema) -> u64 {
    let mut h = FxHasher::default();
    hash_schema(schema, &mut h);
    h.finish()
}

fn hash_schema(s: &Schema, h: &mut FxHasher) {
    s.schema_type.hash(h);
    s.optional.hash(h);
    s.name.hash(h);
    s.version.hash(h);
    s.doc.hash(h);
    s.parameters.hash(h);
    s.fields.len().hash(h);
    for field in &s.fields {
        field.name.hash(h);
        hash_schema(&field.schema, h);
    }
    for inner in [&s.key_schema, &s.value_schema] {
        match inner {
            Some(inner) => hash_schema(inner, h),
            None => h.write_u8(0),
        }
    }
}

/// Whether `a` and `b` are written as the same JSON and fit the same values. It implies
/// `a == b`, so a value that fits one fits the other.
pub(crate) fn same_json(a: &Schema, b: &Schema) -> bool {
    std::ptr::eq(a, b)
        || (a.schema_type == b.schema_type
            && a.optional == b.optional
            && a.name == b.name
            && a.version == b.version
            && a.doc == b.doc
            && a.parameters == b.parameters
            && a.fields.len() == b.fields.len()
            && a.fields.iter().zip(&b.fields).all(|(x, y)| {
                x.name == y.name && x.index == y.index && same_json(&x.schema, &y.schema)
            })
            && same_inner(a.key_schema.as_deref(), b.key_schema.as_deref())
            && same_inner(a.value_schema.as_deref(), b.value_schema.as_deref())
            && match (&a.default, &b.default) {
                (None, None) => true,
                (Some(x), Some(y)) => same_value(x, y),
                _ => false,
            })
}

fn same_inner(a: Option<&Schema>, b: Option<&Schema>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => same_json(a, b),
        _ => false,
    }
}

/// Value equality that also tells `0.0` from `-0.0` (and, like `==`, never matches a NaN).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float32(x), Value::Float32(y)) => x == y && x.to_bits() == y.to_bits(),
        (Value::Float64(x), Value::Float64(y)) => x == y && x.to_bits() == y.to_bits(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((xk, xv), (yk, yv))| same_value(xk, yk) && same_value(xv, yv))
        }
        (Value::Struct(x), Value::Struct(y)) => {
            same_json(x.schema(), y.schema())
                && x.values().len() == y.values().len()
                && x.values()
                    .iter()
                    .zip(y.values())
                    .all(|(x, y)| same_value(x, y))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use connect_api::{SchemaBuilder, SchemaType, Struct};

    use super::*;

    #[test]
    fn evicts_the_least_recently_used_entry() {
        let mut lru = Lru::new(2);
        assert_eq!(lru.put("a", 1), None);
        assert_eq!(lru.put("b", 2), None);
        assert_eq!(lru.get("a"), Some(&1));
        assert_eq!(lru.put("c", 3), Some(("b", 2)));
        assert_eq!(lru.len(), 2);
        assert_eq!(lru.get("b"), None);
        assert_eq!(lru.get("a"), Some(&1));
        assert_eq!(lru.get("c"), Some(&3));
        assert_eq!(lru.put("d", 4), Some(("a", 1)));
    }

    #[test]
    fn replacing_a_value_keeps_the_size_and_returns_the_old_value() {
        let mut lru = Lru::new(2);
        lru.put("a", 1);
        lru.put("b", 2);
        assert_eq!(lru.put("a", 10), Some(("a", 1)));
        assert_eq!(lru.len(), 2);
        // "a" became the newest, so "b" goes first.
        assert_eq!(lru.put("c", 3), Some(("b", 2)));
        assert_eq!(lru.get("a"), Some(&10));
    }

    #[test]
    fn many_entries_through_a_small_cache_keep_exactly_the_newest() {
        let mut lru = Lru::new(5);
        for i in 0..1000 {
            lru.put(i, i * 2);
            if i % 3 == 0 {
                // Reads reorder the entries without changing which are kept at the end.
                lru.get(&(i - i % 5));
            }
            assert!(lru.len() <= 5);
        }
        let kept: Vec<i32> = (0..1000).filter(|i| lru.get(i).is_some()).collect();
        assert_eq!(kept, [995, 996, 997, 998, 999]);
    }

    #[test]
    fn zero_capacity_caches_nothing() {
        let mut lru = Lru::new(0);
        assert_eq!(lru.put("a", 1), None);
        assert_eq!(lru.get("a"), None);
        assert_eq!(lru.len(), 0);
    }

    fn decimal_with(params: &[(&str, &str)]) -> SchemaRef {
        let mut b = SchemaBuilder::new(SchemaType::Bytes)
            .name("org.apache.kafka.connect.data.Decimal")
            .version(1);
        for (k, v) in params {
            b = b.parameter(*k, *v);
        }
        b.build()
    }

    #[test]
    fn schemas_equal_in_java_but_written_differently_are_not_the_same_json() {
        let a = decimal_with(&[("scale", "2"), ("connect.decimal.precision", "10")]);
        let b = decimal_with(&[("connect.decimal.precision", "10"), ("scale", "2")]);
        assert_eq!(a, b);
        assert!(!same_json(&a, &b));
        let zero = |v: f64| {
            SchemaBuilder::new(SchemaType::Float64)
                .default_value(Value::Float64(v))
                .build()
        };
        assert_eq!(zero(0.0), zero(-0.0));
        assert!(!same_json(&zero(0.0), &zero(-0.0)));
        assert!(same_json(&zero(-0.0), &zero(-0.0)));
        assert!(!same_json(&zero(f64::NAN), &zero(f64::NAN)));
    }

    #[test]
    fn equal_content_in_distinct_objects_is_the_same_json_with_the_same_hash() {
        let build = || {
            let inner = Schema::struct_builder()
                .name("inner")
                .field("d", decimal_with(&[("scale", "2")]))
                .build();
            Schema::struct_builder()
                .name("outer")
                .version(3)
                .doc("a doc")
                .field("x", Schema::optional_int64())
                .field("inner", inner.clone())
                .field("items", SchemaBuilder::array(Schema::string()).build())
                .field(
                    "m",
                    SchemaBuilder::map(Schema::string(), Schema::int32())
                        .optional()
                        .build(),
                )
                .default_value(Value::Null)
                .build()
        };
        let (a, b) = (build(), build());
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(same_json(&a, &b));
        assert_eq!(content_hash(&a), content_hash(&b));
        let renamed = Schema::struct_builder()
            .name("outer")
            .field("y", Schema::optional_int64())
            .build();
        assert!(!same_json(&a, &renamed));
    }

    #[test]
    fn struct_defaults_compare_by_schema_and_values() {
        let point = |x: i32| {
            let s = Schema::struct_builder()
                .optional()
                .field("x", Schema::int32())
                .build();
            let default = Struct::new(s.clone()).with("x", x);
            Schema::struct_builder()
                .optional()
                .field("x", Schema::int32())
                .default_value(default.into())
                .build()
        };
        assert!(same_json(&point(1), &point(1)));
        assert!(!same_json(&point(1), &point(2)));
    }

    #[test]
    fn the_json_cache_is_bounded_and_forgets_the_least_recently_used_schema() {
        let schemas: Vec<SchemaRef> = (0..4)
            .map(|i| Schema::struct_builder().name(format!("s{i}")).build())
            .collect();
        let mut cache = SchemaJsonCache::new(2);
        let mut out = Vec::new();
        for s in &schemas[..2] {
            let Lookup::Miss(content) = cache.write(s, &mut out) else {
                panic!("cold cache hit")
            };
            cache.insert(s, content, s.name.as_deref().unwrap_or_default().as_bytes());
        }
        assert_eq!(cache.write(&schemas[0], &mut out), Lookup::Hit);
        let Lookup::Miss(content) = cache.write(&schemas[2], &mut out) else {
            panic!("s2 was never cached")
        };
        cache.insert(&schemas[2], content, b"s2");
        assert_eq!(cache.len(), 2);
        // s1 was the least recently used.
        assert!(matches!(
            cache.write(&schemas[1], &mut out),
            Lookup::Miss(_)
        ));
        assert_eq!(cache.write(&schemas[0], &mut out), Lookup::Hit);
        assert_eq!(cache.write(&schemas[2], &mut out), Lookup::Hit);
        assert_eq!(out, b"s0s0s2");
        // An evicted entry no longer answers for its content either.
        let s1_again = Schema::struct_builder().name("s1").build();
        assert!(matches!(cache.write(&s1_again, &mut out), Lookup::Miss(_)));
    }

    #[test]
    fn a_distinct_object_with_the_same_content_is_a_hit() {
        let a = decimal_with(&[("scale", "2")]);
        let b = decimal_with(&[("scale", "2")]);
        let mut cache = SchemaJsonCache::new(10);
        let mut out = Vec::new();
        let Lookup::Miss(content) = cache.write(&a, &mut out) else {
            panic!("cold cache hit")
        };
        cache.insert(&a, content, b"json-of-a");
        assert_eq!(cache.write(&b, &mut out), Lookup::Hit);
        assert_eq!(out, b"json-of-a");
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_zero_sized_json_cache_keeps_nothing() {
        let a = decimal_with(&[]);
        let mut cache = SchemaJsonCache::new(0);
        cache.insert(&a, 1, b"x");
        assert_eq!(cache.write(&a, &mut Vec::new()), Lookup::Miss(0));
        assert_eq!(cache.len(), 0);
    }
}

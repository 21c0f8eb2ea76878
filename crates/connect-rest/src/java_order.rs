//! The iteration order of Java's `HashMap`, so that maps Kafka Connect renders from a `HashMap`
//! come out with the same key order.
//!
//! Kafka Connect serialises several maps straight from `java.util.HashMap`s: connector and task
//! configs (deserialised from the config topic by `JsonConverter`), the `?expand=` listing and
//! `tasks-config`. Jackson writes them in bucket order: by `(h ^ (h >>> 16)) & (capacity - 1)`
//! where `h` is the key's `hashCode()`, ties in insertion order. Capacity starts at 16 and
//! doubles whenever the size passes three quarters of it. (Bins that Java turns into trees, at 8
//! or more colliding keys, are not modelled.)

use serde::ser::{Serialize, SerializeMap, Serializer};

/// `String.hashCode()` (over UTF-16 code units).
pub(crate) fn string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `ConnectorTaskId.hashCode()`.
pub(crate) fn task_id_hash(connector: &str, task: u32) -> i32 {
    string_hash(connector)
        .wrapping_mul(31)
        .wrapping_add(task as i32)
}

/// The capacity of a `new HashMap<>()` after `len` insertions.
fn capacity_for(len: usize) -> u32 {
    let mut cap: u32 = 16;
    while len as u64 > u64::from(cap) * 3 / 4 {
        cap *= 2;
    }
    cap
}

/// Orders `items` (each with its Java `hashCode()`, given in insertion order) as a
/// `new HashMap<>()` filled in that order iterates them.
pub(crate) fn hash_map_order<T>(items: Vec<(i32, T)>) -> Vec<T> {
    let mask = capacity_for(items.len()) - 1;
    let mut keyed: Vec<(u32, usize, T)> = items
        .into_iter()
        .enumerate()
        .map(|(i, (h, v))| {
            let h = h as u32;
            ((h ^ (h >> 16)) & mask, i, v)
        })
        .collect();
    keyed.sort_by_key(|(bucket, i, _)| (*bucket, *i));
    keyed.into_iter().map(|(_, _, v)| v).collect()
}

/// String keys in `HashMap` order.
pub(crate) fn string_keys_in_hash_order<'a, I>(keys: I) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    hash_map_order(keys.into_iter().map(|k| (string_hash(k), k)).collect())
}

/// A JSON object whose keys are written in the given order.
#[derive(Debug)]
pub(crate) struct Ordered<'a, V: Serialize>(pub(crate) Vec<(&'a str, &'a V)>);

impl<V: Serialize> Serialize for Ordered<'_, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// How to order a connector or task config when rendering it.
#[derive(Debug, Clone)]
pub(crate) enum ConfigOrder {
    /// As a `HashMap` read back from the config topic (`GET` endpoints).
    Hash,
    /// As the request's `LinkedHashMap` (create and replace answers): these keys first, in this
    /// order, then any others in hash order.
    Request(Vec<String>),
}

/// The entries of `config` in the order Kafka Connect writes them.
pub(crate) fn ordered_config<'a>(
    config: &'a std::collections::BTreeMap<String, String>,
    order: &ConfigOrder,
) -> Ordered<'a, String> {
    let mut out: Vec<(&'a str, &'a String)> = Vec::with_capacity(config.len());
    if let ConfigOrder::Request(keys) = order {
        for k in keys {
            if let Some((key, v)) = config.get_key_value(k.as_str())
                && !out.iter().any(|(seen, _)| *seen == key.as_str())
            {
                out.push((key.as_str(), v));
            }
        }
    }
    // Insertion order only matters between colliding keys; Kafka stores the request's order
    // with `name` appended, so sorted order with `name` last is the closest stand-in.
    let mut rest: Vec<&'a str> = config
        .keys()
        .map(String::as_str)
        .filter(|k| !out.iter().any(|(seen, _)| seen == k))
        .collect();
    if let Some(pos) = rest.iter().position(|k| *k == "name") {
        let name = rest.remove(pos);
        rest.push(name);
    }
    for k in string_keys_in_hash_order(rest) {
        out.push((k, &config[k]));
    }
    Ordered(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hash_matches_java() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        // "hello".hashCode() == 99162322 in Java
        assert_eq!(string_hash("hello"), 99_162_322);
        // "connector.class".hashCode() overflows
        assert_eq!(string_hash("polygenelubricants"), i32::MIN);
    }

    // Expected orders below were printed by Java 17's `HashMap`/`HashSet`.

    #[test]
    fn colliding_keys_keep_insertion_order() {
        // "status" and "info" share a bucket.
        assert_eq!(
            string_keys_in_hash_order(["status", "info"]),
            vec!["status", "info"]
        );
        assert_eq!(
            string_keys_in_hash_order(["info", "status"]),
            vec!["info", "status"]
        );
    }

    #[test]
    fn file_source_config_order_matches_java() {
        let keys = ["name", "connector.class", "tasks.max", "file", "topic"];
        assert_eq!(
            string_keys_in_hash_order(keys),
            vec!["connector.class", "file", "tasks.max", "name", "topic"]
        );
        let keys = ["connector.class", "tasks.max", "file", "topic", "name"];
        assert_eq!(
            string_keys_in_hash_order(keys),
            vec!["connector.class", "file", "tasks.max", "name", "topic"]
        );
    }

    #[test]
    fn resized_tables_match_java() {
        let keys: Vec<String> = (0..40).map(|i| format!("key.{i}")).collect();
        let order = string_keys_in_hash_order(keys.iter().map(String::as_str));
        let java = "key.17, key.39, key.16, key.38, key.19, key.18, key.13, key.35, key.12, key.34, key.15, key.37, key.14, key.36, key.31, key.30, key.11, key.33, key.10, key.32, key.28, key.27, key.29, key.24, key.23, key.26, key.25, key.2, key.20, key.1, key.0, key.22, key.21, key.6, key.5, key.4, key.3, key.9, key.8, key.7";
        assert_eq!(order.join(", "), java);
        assert_eq!(
            string_keys_in_hash_order(["GET", "POST", "HEAD", "OPTIONS"]),
            vec!["HEAD", "POST", "GET", "OPTIONS"]
        );
    }

    #[test]
    fn capacity_grows_like_java() {
        assert_eq!(capacity_for(0), 16);
        assert_eq!(capacity_for(12), 16);
        assert_eq!(capacity_for(13), 32);
        assert_eq!(capacity_for(24), 32);
        assert_eq!(capacity_for(25), 64);
    }
}

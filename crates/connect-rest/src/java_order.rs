//! The iteration order of Java's `HashMap`, so that maps Kafka Connect renders from a `HashMap`
//! come out with the same key order.
//!
//! Kafka Connect serialises several maps straight from `java.util.HashMap`s: connector and task
//! configs (deserialised from the config topic by `JsonConverter`), the `?expand=` listing and
//! `tasks-config`. Jackson writes them in the map's iteration order, whose rule
//! (`connect_api::java::hash_map_order`) lives with the other Java rules.

use connect_api::java;
use serde::ser::{Serialize, SerializeMap, Serializer};

/// `ConnectorTaskId.hashCode()`.
pub(crate) fn task_id_hash(connector: &str, task: u32) -> i32 {
    java::string_hash(connector)
        .wrapping_mul(31)
        .wrapping_add(task as i32)
}

/// String keys in `HashMap` order.
pub(crate) fn string_keys_in_hash_order<'a, I>(keys: I) -> Vec<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    java::hash_map_order(
        keys.into_iter()
            .map(|k| (java::string_hash(k), k))
            .collect(),
    )
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
    fn http_methods_come_out_in_java_hash_set_order() {
        assert_eq!(
            string_keys_in_hash_order(["GET", "POST", "HEAD", "OPTIONS"]),
            vec!["HEAD", "POST", "GET", "OPTIONS"]
        );
    }
}

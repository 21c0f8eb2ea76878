//! The orders Java's collections give Kafka's encodings and assignor.
//!
//! Kafka writes an assignment's connectors in `HashSet` order and its assignor walks the group's
//! members in `HashMap` order (which decides who keeps the extra connector and which worker a lost
//! task goes to), and it sorts with `String.compareTo` (UTF-16 code units). Reproducing those
//! orders makes the encodings byte-for-byte Kafka's and the assignments the ones a JVM leader
//! would compute. Bins that Java turns into trees (9 or more keys in one bucket) are not
//! modelled; the bucket order is kept for them too.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::hash::Hash;

use crate::ConnectorTaskId;

pub(crate) use connect_api::java::string_hash;

/// `ConnectorTaskId.hashCode()`: `31 * connector.hashCode() + task`.
pub(crate) fn task_hash(task: &ConnectorTaskId) -> i32 {
    // Java task ids are ints; the cast is the same two's complement wrap Java's arithmetic does.
    31i32
        .wrapping_mul(string_hash(&task.connector))
        .wrapping_add(task.task as i32)
}

/// `String.compareTo`: UTF-16 code unit order (differs from `str`'s code point order only for
/// characters above U+FFFF against U+E000..U+FFFF).
pub(crate) fn cmp_str(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

/// `ConnectorTaskId.compareTo`: connector, then task number.
pub(crate) fn cmp_task(a: &ConnectorTaskId, b: &ConnectorTaskId) -> Ordering {
    cmp_str(&a.connector, &b.connector).then(a.task.cmp(&b.task))
}

/// The table size of a `new HashMap<>()` / `new HashSet<>()` after `len` insertions: 16,
/// doubled whenever the size passes three quarters of it.
pub(crate) fn grown_capacity(len: usize) -> usize {
    let mut capacity = 16usize;
    while len > capacity / 4 * 3 && capacity < MAXIMUM_CAPACITY {
        capacity *= 2;
    }
    capacity
}

/// The table size of JDK 17's `new HashSet<>(collection)` for a collection of `source_len`
/// elements: `tableSizeFor(max((int) (n / .75f) + 1, 16))`. (JDK 19 and later size it as
/// `ceil(max(n, 12) / 0.75)`, which differs for n = 12·2^k.)
pub(crate) fn presized_capacity(source_len: usize) -> usize {
    // Java's float arithmetic, truncated as `(int)` does.
    let wanted = ((source_len as f32 / 0.75f32) as usize).saturating_add(1);
    table_size_for(wanted.max(16))
}

const MAXIMUM_CAPACITY: usize = 1 << 30;

/// `HashMap.tableSizeFor`: the next power of two, at most 2^30.
fn table_size_for(wanted: usize) -> usize {
    wanted.next_power_of_two().clamp(1, MAXIMUM_CAPACITY)
}

/// The iteration order of a Java hash set (or a map's keys) holding `items`, inserted in the
/// given order, in a table of `capacity` buckets; a repeated item keeps its first place.
pub(crate) fn hash_order<T, I>(items: I, hash: impl Fn(&T) -> i32, capacity: usize) -> Vec<T>
where
    T: Eq + Hash + Clone,
    I: IntoIterator<Item = T>,
{
    let mut seen = HashSet::new();
    let keyed: Vec<(i32, T)> = items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .map(|item| (hash(&item), item))
        .collect();
    connect_api::java::hash_table_order(keyed, capacity)
}

/// `new HashSet<>(strings)` iteration order (JDK 17).
pub(crate) fn string_set_order(strings: &[String]) -> Vec<String> {
    hash_order(
        strings.iter().cloned(),
        |s| string_hash(s),
        presized_capacity(strings.len()),
    )
}

/// `new HashSet<>(tasks)` iteration order (JDK 17).
pub(crate) fn task_set_order(tasks: &[ConnectorTaskId]) -> Vec<ConnectorTaskId> {
    hash_order(
        tasks.iter().cloned(),
        task_hash,
        presized_capacity(tasks.len()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(connector: &str, task: u32) -> ConnectorTaskId {
        ConnectorTaskId {
            connector: connector.to_owned(),
            task,
        }
    }

    #[test]
    fn string_hashes_are_java_s() {
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("connector1"), -775_645_820);
        // "Aa" and "BB" collide in Java.
        assert_eq!(string_hash("Aa"), string_hash("BB"));
        // A character above U+FFFF hashes as its two UTF-16 surrogates.
        assert_eq!(string_hash("😀"), 0xD83D * 31 + 0xDE00);
    }

    #[test]
    fn task_hashes_are_java_s() {
        assert_eq!(task_hash(&task("c", 0)), 31 * 99);
        assert_eq!(task_hash(&task("c", 2)), 31 * 99 + 2);
    }

    #[test]
    fn strings_compare_by_utf16_code_units() {
        // U+FF21 sorts after U+10000 in code points but before it in UTF-16 (0xD800 < 0xFF21).
        assert_eq!(cmp_str("\u{10000}", "\u{FF21}"), Ordering::Less);
        assert_eq!(cmp_str("a", "b"), Ordering::Less);
        assert_eq!(cmp_str("ab", "a"), Ordering::Greater);
    }

    #[test]
    fn tasks_compare_by_connector_then_number() {
        assert_eq!(cmp_task(&task("a", 10), &task("b", 0)), Ordering::Less);
        assert_eq!(cmp_task(&task("a", 2), &task("a", 10)), Ordering::Less);
    }

    #[test]
    fn capacities_follow_hash_map_growth_and_jdk17_presizing() {
        assert_eq!(grown_capacity(0), 16);
        assert_eq!(grown_capacity(12), 16);
        assert_eq!(grown_capacity(13), 32);
        assert_eq!(grown_capacity(24), 32);
        assert_eq!(grown_capacity(25), 64);
        assert_eq!(presized_capacity(0), 16);
        assert_eq!(presized_capacity(11), 16);
        assert_eq!(presized_capacity(12), 32);
        assert_eq!(presized_capacity(13), 32);
        assert_eq!(presized_capacity(24), 64);
    }

    #[test]
    fn hash_sets_iterate_by_bucket_then_insertion() {
        // "connector1", "Aa" and "BB" share bucket 0 of 16; "connector2" and "connector3" are
        // in buckets 1 and 2. (What `new HashSet<>(Arrays.asList(...))` prints on JDK 17.)
        let names: Vec<String> = ["connector3", "BB", "connector1", "Aa", "connector2", "BB"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(
            string_set_order(&names),
            ["BB", "connector1", "Aa", "connector2", "connector3"]
        );
    }
}

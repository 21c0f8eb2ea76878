//! Java's `LinkedHashSet`, which Kafka's assignor keeps each worker's connectors and tasks in:
//! the order decides which of them a load-balancing revocation takes first.

use std::collections::HashSet;
use std::hash::Hash;

/// A set that iterates in insertion order; re-inserting an element keeps its place.
#[derive(Debug, Clone)]
pub(crate) struct OrderedSet<T> {
    items: Vec<T>,
    index: HashSet<T>,
}

impl<T> Default for OrderedSet<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            index: HashSet::new(),
        }
    }
}

impl<T: Eq + Hash + Clone> OrderedSet<T> {
    pub(crate) fn insert(&mut self, item: T) -> bool {
        if self.index.insert(item.clone()) {
            self.items.push(item);
            true
        } else {
            false
        }
    }

    pub(crate) fn extend<'a>(&mut self, items: impl IntoIterator<Item = &'a T>)
    where
        T: 'a,
    {
        for item in items {
            self.insert(item.clone());
        }
    }

    pub(crate) fn contains(&self, item: &T) -> bool {
        self.index.contains(item)
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        &self.items
    }

    /// `removeAll`.
    pub(crate) fn remove_all<'a>(&mut self, items: impl IntoIterator<Item = &'a T>)
    where
        T: 'a,
    {
        let mut removed = false;
        for item in items {
            removed |= self.index.remove(item);
        }
        if removed {
            let index = &self.index;
            self.items.retain(|item| index.contains(item));
        }
    }

    pub(crate) fn clear(&mut self) {
        self.items.clear();
        self.index.clear();
    }
}

impl<T: Eq + Hash + Clone> FromIterator<T> for OrderedSet<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        let mut set = Self::default();
        for item in iter {
            set.insert(item);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_insertion_order_and_removes_in_place() {
        let mut s: OrderedSet<&str> = ["b", "a", "b", "c"].into_iter().collect();
        assert_eq!(s.as_slice(), ["b", "a", "c"]);
        assert!(!s.insert("a"));
        s.remove_all(&["a", "z"]);
        assert_eq!(s.as_slice(), ["b", "c"]);
        assert!(s.contains(&"c") && !s.contains(&"a"));
        s.insert("a");
        assert_eq!(s.as_slice(), ["b", "c", "a"]);
        assert_eq!(s.len(), 3);
        s.clear();
        assert!(s.is_empty());
    }
}

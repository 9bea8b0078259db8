//! A list's sort order that one key cycles through (htop's and k9s's sort keys): the Cache
//! screen's `s` (name, value, free, age, latency, error), the C3 table's (region, free
//! vCPUs). The order is shown in the list's title ([`SortBy::title_note`]).

use std::fmt::Debug;

/// A way to sort one list: its name in the title.
pub trait SortKey: Copy + PartialEq + Debug + 'static {
    /// Every key, in the order the sort key cycles through them; the first is the list's
    /// own order (the catalog's).
    const ALL: &'static [Self];

    /// The key's name in the title (`latency`).
    fn label(self) -> &'static str;
}

/// The current sort of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SortBy {
    idx: usize,
}

impl SortBy {
    /// The key in use.
    pub fn key<K: SortKey>(&self) -> K {
        K::ALL[self.idx % K::ALL.len()]
    }

    /// Go on to the next key, back to the first after the last.
    pub fn advance<K: SortKey>(&mut self) -> K {
        self.idx = (self.idx + 1) % K::ALL.len();
        self.key()
    }

    /// Sort by `key`.
    pub fn set<K: SortKey>(&mut self, key: K) {
        self.idx = K::ALL.iter().position(|k| *k == key).unwrap_or(0);
    }

    /// ` · by latency` for the title; empty for the list's own order (the first key).
    pub fn title_note<K: SortKey>(&self) -> String {
        if self.idx.is_multiple_of(K::ALL.len()) {
            String::new()
        } else {
            format!(" · by {}", self.key::<K>().label())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum K {
        Name,
        Latency,
        Error,
    }

    impl SortKey for K {
        const ALL: &'static [K] = &[K::Name, K::Latency, K::Error];
        fn label(self) -> &'static str {
            match self {
                K::Name => "name",
                K::Latency => "latency",
                K::Error => "error",
            }
        }
    }

    #[test]
    fn the_key_cycles_and_the_title_names_it() {
        let mut s = SortBy::default();
        assert_eq!(s.key::<K>(), K::Name);
        assert_eq!(s.title_note::<K>(), "", "the list's own order says nothing");
        assert_eq!(s.advance::<K>(), K::Latency);
        assert_eq!(s.title_note::<K>(), " · by latency");
        s.advance::<K>();
        assert_eq!(
            s.advance::<K>(),
            K::Name,
            "back to the first after the last"
        );
        s.set(K::Error);
        assert_eq!(s.key::<K>(), K::Error);
    }
}

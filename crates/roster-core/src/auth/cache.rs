//! Token checks and profile reads served from memory while nothing they depend on changed
//! (roster_store::changes). A revoked session, a suspension or a permission change is seen by
//! the very next request on every instance: each request first takes the current
//! [`ChangeMark`] (one small read), and an entry is served only under the mark it was read
//! under. What a request saves is the session and user row, the memberships with their
//! accounts, and the preferences.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

use roster_store::changes::ChangeMark;

/// Past this many entries the cache starts over (a bound on memory, not an eviction policy:
/// entries are cheap to read again).
const MAX_ENTRIES: usize = 10_000;

pub struct ReadCache<K, V> {
    state: Mutex<State<K, V>>,
}

struct State<K, V> {
    mark: Option<ChangeMark>,
    entries: HashMap<K, V>,
}

impl<K: Eq + Hash, V: Clone> ReadCache<K, V> {
    pub fn new() -> Self {
        Self { state: Mutex::new(State { mark: None, entries: HashMap::new() }) }
    }

    /// The entry for `key`, if it was read under `mark`. A new mark empties the cache.
    pub fn get(&self, mark: ChangeMark, key: &K) -> Option<V> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.mark != Some(mark) {
            state.entries.clear();
            state.mark = Some(mark);
            return None;
        }
        state.entries.get(key).cloned()
    }

    /// Keep `value`, read under `mark`, unless the database has moved on since.
    pub fn put(&self, mark: ChangeMark, key: K, value: V) {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if state.mark != Some(mark) {
            return;
        }
        if state.entries.len() >= MAX_ENTRIES {
            state.entries.clear();
        }
        state.entries.insert(key, value);
    }
}

impl<K: Eq + Hash, V: Clone> Default for ReadCache<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

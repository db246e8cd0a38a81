//! A sliding-window count of failures per key. governor's limiters count every request and
//! cannot take one back, so "count only the attempts that failed" needs its own structure.
//! An attempt reserves a slot before the check runs and gives it back when it succeeds: a
//! burst of parallel attempts cannot all pass a check-then-record gap.
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::AppError;

pub struct FailureWindow<K> {
    limit: u32,
    window: Duration,
    slots: Mutex<HashMap<K, VecDeque<Instant>>>,
}

impl<K: Hash + Eq + Clone> FailureWindow<K> {
    pub fn new(limit: u32, window: Duration) -> Self {
        Self {
            limit: limit.max(1),
            window,
            slots: Mutex::new(HashMap::new()),
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, HashMap<K, VecDeque<Instant>>> {
        // A poisoned lock only means another thread panicked mid-update of plain timestamps;
        // the data is still usable.
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reserves a slot for one attempt, or refuses when `limit` failures (or attempts still in
    /// flight) fall within the window.
    pub fn reserve(&self, key: &K) -> Result<Instant, AppError> {
        let now = Instant::now();
        let mut slots = self.slots();
        let entries = slots.entry(key.clone()).or_default();
        while entries
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            entries.pop_front();
        }
        if entries.len() >= self.limit as usize {
            let oldest = entries.front().copied().unwrap_or(now);
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(AppError::RateLimited {
                retry_after: wait.max(Duration::from_secs(1)),
                limit: self.limit,
            });
        }
        entries.push_back(now);
        Ok(now)
    }

    /// Gives back the slot of an attempt that succeeded.
    pub fn release(&self, key: &K, at: Instant) {
        let mut slots = self.slots();
        if let Some(entries) = slots.get_mut(key) {
            if let Some(index) = entries.iter().rposition(|t| *t == at) {
                entries.remove(index);
            }
            if entries.is_empty() {
                slots.remove(key);
            }
        }
    }

    /// Drops keys whose failures have all left the window, so memory stays bounded.
    pub fn retain_recent(&self) {
        let now = Instant::now();
        self.slots().retain(|_, entries| {
            entries.retain(|t| now.duration_since(*t) < self.window);
            !entries.is_empty()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successes_do_not_count_and_failures_do() {
        let window = FailureWindow::new(2, Duration::from_secs(300));
        for i in 0..10 {
            match window.reserve(&1) {
                Ok(at) => window.release(&1, at),
                Err(e) => panic!("success {i} was counted: {e:?}"),
            }
        }
        assert!(window.reserve(&1).is_ok());
        assert!(window.reserve(&1).is_ok());
        assert!(matches!(
            window.reserve(&1),
            Err(AppError::RateLimited { limit: 2, .. })
        ));
        assert!(window.reserve(&2).is_ok());
    }
}

//! Fair shares of the runner's slots across job kinds, so a kind that cannot succeed (a store
//! that times out on every write-back, thousands of retries due at once) never starves the
//! rest: routing and placing keep their slots whatever waits behind a failing store.
//!
//! - A claim asks only for kinds below their `share` (half the slots), and leaves the last
//!   `reserve` slots free (an eighth) while more are free: one claim may carry a kind past its
//!   share (claims stay large: each is a commit on the one writer), but then that kind is left
//!   out until it is below its share again, and the reserve is only ever taken by kinds below
//!   their share. A kind whose jobs hang therefore never holds the slots the others need.
//! - Work-conserving: when nothing of any other kind is due, a kind past its share may take
//!   more, but never the reserve, so that a job of another kind arriving meanwhile starts at
//!   once instead of waiting for a slow job to end.
//!
//! Pure bookkeeping: the runner counts what it spawned and what ended, and asks for the two
//! claims ([`Slots::first_claim`], [`Slots::second_claim`]).

use std::collections::HashMap;

/// The runner's slots and how many each kind holds.
#[derive(Debug)]
pub struct Slots {
    concurrency: usize,
    share: usize,
    reserve: usize,
    held: HashMap<String, usize>,
}

/// One claim to make: these kinds, at most this many jobs.
#[derive(Debug, PartialEq, Eq)]
pub struct Claim<'a> {
    pub kinds: Vec<&'a str>,
    pub limit: usize,
}

impl Slots {
    pub fn new(concurrency: usize) -> Slots {
        let concurrency = concurrency.max(1);
        Slots {
            concurrency,
            share: (concurrency / 2).max(1),
            reserve: if concurrency > 1 {
                (concurrency / 8).max(1)
            } else {
                0
            },
            held: HashMap::new(),
        }
    }

    /// No shares: every claim may take every free slot for any kind (the runner before fair
    /// shares; `jobs.fair_share = false`).
    pub fn unfair(concurrency: usize) -> Slots {
        let concurrency = concurrency.max(1);
        Slots {
            concurrency,
            share: concurrency,
            reserve: 0,
            held: HashMap::new(),
        }
    }

    pub fn busy(&self) -> usize {
        self.held.values().sum()
    }

    pub fn started(&mut self, kind: &str) {
        *self.held.entry(kind.to_string()).or_default() += 1;
    }

    pub fn ended(&mut self, kind: &str) {
        if let Some(held) = self.held.get_mut(kind) {
            *held = held.saturating_sub(1);
        }
    }

    fn held(&self, kind: &str) -> usize {
        self.held.get(kind).copied().unwrap_or(0)
    }

    /// The kinds below their share, and how many jobs one claim may take for them: every
    /// free slot but the reserve, or, when only the reserve is left, the reserve.
    pub fn first_claim<'a>(&self, kinds: &[&'a str]) -> Option<Claim<'a>> {
        let free = self.concurrency.saturating_sub(self.busy());
        let open: Vec<&str> = kinds
            .iter()
            .copied()
            .filter(|k| self.held(k) < self.share)
            .collect();
        let limit = if free > self.reserve {
            free - self.reserve
        } else {
            free
        };
        (limit > 0 && !open.is_empty()).then_some(Claim { kinds: open, limit })
    }

    /// After a first claim that found less than it asked (nothing else is due): the kinds at
    /// their share may take free slots but the reserve.
    pub fn second_claim<'a>(&self, kinds: &[&'a str]) -> Option<Claim<'a>> {
        let room = self
            .concurrency
            .saturating_sub(self.reserve)
            .saturating_sub(self.busy());
        let full: Vec<&str> = kinds
            .iter()
            .copied()
            .filter(|k| self.held(k) >= self.share)
            .collect();
        (room > 0 && !full.is_empty()).then_some(Claim {
            kinds: full,
            limit: room,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const KINDS: [&str; 3] = ["push", "place", "route"];

    #[test]
    fn a_claim_leaves_the_reserve_while_more_is_free() {
        let slots = Slots::new(8);
        let claim = slots.first_claim(&KINDS).expect("a claim");
        assert_eq!(claim.limit, 7, "every free slot but the reserve");
        assert_eq!(claim.kinds, KINDS.to_vec());
    }

    #[test]
    fn a_kind_at_its_share_is_left_out_and_the_rest_keep_their_slots() {
        let mut slots = Slots::new(8);
        for _ in 0..4 {
            slots.started("push");
        }
        let claim = slots.first_claim(&KINDS).expect("a claim");
        assert_eq!(claim.kinds, vec!["place", "route"]);
        assert_eq!(claim.limit, 3, "4 free, 1 kept in reserve");
        for _ in 0..3 {
            slots.started("place");
        }
        let claim = slots.first_claim(&KINDS).expect("a claim");
        assert_eq!(claim.kinds, vec!["place", "route"]);
        assert_eq!(claim.limit, 1, "the reserve, for kinds below their share");
    }

    #[test]
    fn alone_a_kind_goes_past_its_share_but_never_into_the_reserve() {
        let mut slots = Slots::new(8);
        for _ in 0..4 {
            slots.started("push");
        }
        let second = slots.second_claim(&KINDS).expect("a claim");
        assert_eq!(second.kinds, vec!["push"]);
        assert_eq!(second.limit, 3, "8 slots, 1 kept in reserve, 4 busy");
        for _ in 0..3 {
            slots.started("push");
        }
        assert_eq!(
            slots.second_claim(&KINDS),
            None,
            "the last slot is the reserve"
        );
        let first = slots.first_claim(&KINDS).expect("a claim");
        assert_eq!(first.kinds, vec!["place", "route"]);
        assert_eq!(first.limit, 1, "the reserve is there for another kind");
        slots.started("place");
        assert_eq!(slots.first_claim(&KINDS), None, "every slot is busy");
    }

    #[test]
    fn ended_jobs_give_their_slots_back() {
        let mut slots = Slots::new(2);
        slots.started("push");
        assert_eq!(
            slots.first_claim(&KINDS).expect("a claim").kinds,
            vec!["place", "route"]
        );
        slots.ended("push");
        assert_eq!(slots.busy(), 0);
        assert_eq!(
            slots.first_claim(&KINDS).expect("a claim").kinds,
            KINDS.to_vec()
        );
    }

    #[test]
    fn a_single_slot_runner_still_runs_every_kind() {
        let mut slots = Slots::new(1);
        assert_eq!(slots.first_claim(&KINDS).expect("a claim").limit, 1);
        assert_eq!(Slots::new(2).first_claim(&KINDS).expect("a claim").limit, 1);
        slots.started("push");
        assert_eq!(slots.first_claim(&KINDS), None);
        assert_eq!(slots.second_claim(&KINDS), None);
    }
}

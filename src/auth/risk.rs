//! The risk score of a sign-in attempt: a handful of explainable rules, each adding (or taking
//! away) points, and two thresholds. Pure: the facts are gathered by `auth::risk_check` from the
//! store, so every rule is unit-tested here without a database or HTTP.
//!
//! A fresh account has no history, so nothing about its first sign-in is unusual: the device
//! and network rules fire only once the account has signed in before (docs/security.md).
use serde::Serialize;

use crate::config::RiskSettings;

/// Points of each rule. Tuned so that one unusual fact alone stays below the default step-up
/// threshold (50) and a new device on a new network reaches it.
pub const NEW_DEVICE: i32 = 30;
pub const NEW_NETWORK: i32 = 30;
pub const ACCOUNT_FAILURES: i32 = 20;
pub const NETWORK_FAILURES: i32 = 20;
pub const NETWORK_ACCOUNTS: i32 = 40;
pub const STRONG_FACTOR: i32 = -30;

/// Failed sign-ins of the account (any network) in the last 15 minutes that fire its rule.
pub const ACCOUNT_FAILURES_AT: u64 = 5;
/// Failed sign-ins from the network (any account) in the last 15 minutes.
pub const NETWORK_FAILURES_AT: u64 = 10;
/// Distinct accounts tried from the network in the last hour.
pub const NETWORK_ACCOUNTS_AT: u64 = 5;

/// What is known about one sign-in attempt when its first factor has succeeded.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The account has completed a sign-in before (within the retention period).
    pub has_history: bool,
    /// The browser presented a live device token of this account.
    pub trusted_device: bool,
    /// A completed sign-in of this account came from this network (IPv4 address or IPv6 /64).
    pub known_network: bool,
    pub account_failures: u64,
    pub network_failures: u64,
    pub network_accounts: u64,
    /// The first factor already verified the person (a passkey with user verification).
    pub strong_factor: bool,
    /// An organization of the account forces a second step on untrusted devices.
    pub org_forces_step_up: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    NewDevice,
    NewNetwork,
    AccountFailures,
    NetworkFailures,
    NetworkAccounts,
    StrongFactor,
    OrgPolicy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    StepUp,
    Block,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    pub score: i32,
    pub rules: Vec<Rule>,
    pub decision: Decision,
}

/// Scores the facts and decides. On a trusted device the failure and flood rules do not apply:
/// they describe attackers, and the cookie shows this is a browser the owner signed in with,
/// so a flood against the account or from a shared network does not lock the owner out.
pub fn assess(facts: &Facts, settings: &RiskSettings) -> Assessment {
    let mut fired = Vec::new();
    let mut fire = |rule, points: i32| {
        fired.push((rule, points));
    };
    if facts.has_history && !facts.trusted_device {
        fire(Rule::NewDevice, NEW_DEVICE);
    }
    if facts.has_history && !facts.known_network {
        fire(Rule::NewNetwork, NEW_NETWORK);
    }
    if !facts.trusted_device {
        if facts.account_failures >= ACCOUNT_FAILURES_AT {
            fire(Rule::AccountFailures, ACCOUNT_FAILURES);
        }
        if facts.network_failures >= NETWORK_FAILURES_AT {
            fire(Rule::NetworkFailures, NETWORK_FAILURES);
        }
        if facts.network_accounts >= NETWORK_ACCOUNTS_AT {
            fire(Rule::NetworkAccounts, NETWORK_ACCOUNTS);
        }
    }
    if facts.strong_factor {
        fire(Rule::StrongFactor, STRONG_FACTOR);
    }
    let score = fired.iter().map(|(_, points)| points).sum::<i32>().max(0);
    let mut rules: Vec<Rule> = fired.into_iter().map(|(rule, _)| rule).collect();
    let mut decision = if score >= settings.block_at {
        Decision::Block
    } else if score >= settings.step_up_at {
        Decision::StepUp
    } else {
        Decision::Allow
    };
    if decision == Decision::Allow && facts.org_forces_step_up && !facts.trusted_device {
        rules.push(Rule::OrgPolicy);
        decision = Decision::StepUp;
    }
    Assessment {
        score,
        rules,
        decision,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> RiskSettings {
        RiskSettings::default()
    }

    fn returning() -> Facts {
        Facts {
            has_history: true,
            trusted_device: true,
            known_network: true,
            ..Facts::default()
        }
    }

    #[test]
    fn the_first_sign_in_of_a_fresh_account_is_low_risk() {
        let a = assess(&Facts::default(), &defaults());
        assert_eq!((a.score, a.decision), (0, Decision::Allow));
        assert!(a.rules.is_empty());
    }

    #[test]
    fn a_known_device_on_a_known_network_scores_nothing() {
        let a = assess(&returning(), &defaults());
        assert_eq!((a.score, a.decision), (0, Decision::Allow));
    }

    #[test]
    fn one_unusual_fact_alone_proceeds() {
        let new_device = Facts {
            trusted_device: false,
            ..returning()
        };
        let a = assess(&new_device, &defaults());
        assert_eq!((a.score, a.rules.clone()), (30, vec![Rule::NewDevice]));
        assert_eq!(a.decision, Decision::Allow);
        let new_network = Facts {
            known_network: false,
            ..returning()
        };
        let a = assess(&new_network, &defaults());
        assert_eq!((a.score, a.decision), (30, Decision::Allow));
        assert_eq!(a.rules, vec![Rule::NewNetwork]);
    }

    #[test]
    fn a_new_device_on_a_new_network_steps_up() {
        let facts = Facts {
            has_history: true,
            ..Facts::default()
        };
        let a = assess(&facts, &defaults());
        assert_eq!(a.score, 60);
        assert_eq!(a.rules, vec![Rule::NewDevice, Rule::NewNetwork]);
        assert_eq!(a.decision, Decision::StepUp);
    }

    #[test]
    fn a_passkey_with_user_verification_counts_as_a_strong_first_factor() {
        let facts = Facts {
            has_history: true,
            strong_factor: true,
            ..Facts::default()
        };
        let a = assess(&facts, &defaults());
        assert_eq!((a.score, a.decision), (30, Decision::Allow));
        assert!(a.rules.contains(&Rule::StrongFactor));
        // The score never goes below zero.
        let a = assess(
            &Facts {
                strong_factor: true,
                ..Facts::default()
            },
            &defaults(),
        );
        assert_eq!(a.score, 0);
    }

    #[test]
    fn failures_and_floods_add_up_to_a_block_on_an_unknown_device() {
        let facts = Facts {
            has_history: true,
            account_failures: ACCOUNT_FAILURES_AT,
            network_failures: NETWORK_FAILURES_AT,
            network_accounts: NETWORK_ACCOUNTS_AT,
            ..Facts::default()
        };
        let a = assess(&facts, &defaults());
        assert_eq!(a.score, 30 + 30 + 20 + 20 + 40);
        assert_eq!(a.decision, Decision::Block);
        // Just below each threshold nothing fires.
        let below = Facts {
            has_history: false,
            account_failures: ACCOUNT_FAILURES_AT - 1,
            network_failures: NETWORK_FAILURES_AT - 1,
            network_accounts: NETWORK_ACCOUNTS_AT - 1,
            ..Facts::default()
        };
        assert_eq!(assess(&below, &defaults()).score, 0);
    }

    #[test]
    fn a_flood_does_not_lock_the_owner_out_of_a_trusted_device() {
        let facts = Facts {
            known_network: false,
            account_failures: 100,
            network_failures: 100,
            network_accounts: 100,
            ..returning()
        };
        let a = assess(&facts, &defaults());
        assert_eq!(a.decision, Decision::Allow);
        assert_eq!(a.rules, vec![Rule::NewNetwork]);
    }

    #[test]
    fn a_fresh_account_attacked_from_a_spraying_network_steps_up_but_is_not_blocked() {
        let facts = Facts {
            network_failures: 20,
            network_accounts: 20,
            ..Facts::default()
        };
        let a = assess(&facts, &defaults());
        assert_eq!((a.score, a.decision), (60, Decision::StepUp));
    }

    #[test]
    fn thresholds_come_from_the_settings() {
        let strict = RiskSettings {
            step_up_at: 30,
            block_at: 60,
            ..RiskSettings::default()
        };
        let new_device = Facts {
            trusted_device: false,
            ..returning()
        };
        assert_eq!(assess(&new_device, &strict).decision, Decision::StepUp);
        let both = Facts {
            has_history: true,
            ..Facts::default()
        };
        assert_eq!(assess(&both, &strict).decision, Decision::Block);
    }

    #[test]
    fn an_org_can_force_a_second_step_on_every_untrusted_device() {
        let facts = Facts {
            org_forces_step_up: true,
            ..Facts::default()
        };
        let a = assess(&facts, &defaults());
        assert_eq!(a.decision, Decision::StepUp);
        assert_eq!(a.rules, vec![Rule::OrgPolicy]);
        let trusted = Facts {
            org_forces_step_up: true,
            ..returning()
        };
        assert_eq!(assess(&trusted, &defaults()).decision, Decision::Allow);
    }
}

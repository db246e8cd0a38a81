//! Gatehouse schema migrations: one source for SQLite and PostgreSQL, forward-only.
//! A merged migration is never edited; add a new file instead.
pub use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261123_000002_oidc_core;
mod m20261123_000003_mfa;
mod m20261123_000004_magic_links;
mod m20261123_000005_device_codes;
mod m20261123_000006_passkeys;
mod m20261201_000007_registration_password;
mod m20261202_000008_totp_enrolment_owner;
mod m20261202_000009_mail_bodies_at_rest;
mod m20261202_000010_sign_in_policy;
mod m20261202_000011_service_secret_overlap;
mod m20261202_000013_org_plans_roles;
mod m20261202_000015_service_tokens;
mod m20261202_000016_org_branding;
mod m20261202_000017_mail_from_name;
mod m20261202_000018_device_trust;
mod m20261202_000019_emailed_sign_in_codes;
mod m20261202_000020_federation;
mod m20261202_000021_scale;
mod m20261202_000023_service_providers;
mod m20261203_000024_org_sign_up_policy;
mod m20261203_000025_org_smtp;
mod m20261203_000026_test_bench;
mod m20261203_000028_user_locale;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_oidc_core::Migration),
            Box::new(m20261123_000003_mfa::Migration),
            Box::new(m20261123_000004_magic_links::Migration),
            Box::new(m20261123_000005_device_codes::Migration),
            Box::new(m20261123_000006_passkeys::Migration),
            Box::new(m20261201_000007_registration_password::Migration),
            Box::new(m20261202_000008_totp_enrolment_owner::Migration),
            Box::new(m20261202_000009_mail_bodies_at_rest::Migration),
            Box::new(m20261202_000010_sign_in_policy::Migration),
            Box::new(m20261202_000011_service_secret_overlap::Migration),
            Box::new(m20261202_000013_org_plans_roles::Migration),
            Box::new(m20261202_000015_service_tokens::Migration),
            Box::new(m20261202_000016_org_branding::Migration),
            Box::new(m20261202_000017_mail_from_name::Migration),
            Box::new(m20261202_000018_device_trust::Migration),
            Box::new(m20261202_000019_emailed_sign_in_codes::Migration),
            Box::new(m20261202_000020_federation::Migration),
            Box::new(m20261202_000021_scale::Migration),
            Box::new(m20261202_000023_service_providers::Migration),
            Box::new(m20261203_000024_org_sign_up_policy::Migration),
            Box::new(m20261203_000025_org_smtp::Migration),
            Box::new(m20261203_000026_test_bench::Migration),
            Box::new(m20261203_000028_user_locale::Migration),
        ]
    }
}

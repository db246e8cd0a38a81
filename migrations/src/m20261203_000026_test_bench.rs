use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The console's test bench acting as a relying party: one row per "Try sign-in", keyed
        // by the hash of its `state`, bound to the admin's browser session, single use and
        // short-lived. The PKCE verifier is sealed with the master key.
        m.create_table(
            Table::create()
                .table(TestBenchStates::Table)
                .col(uuid(TestBenchStates::Id).primary_key())
                .col(string_uniq(TestBenchStates::StateHash))
                .col(uuid(TestBenchStates::SessionId))
                .col(uuid(TestBenchStates::UserId))
                .col(string(TestBenchStates::ClientId))
                .col(string(TestBenchStates::Nonce))
                .col(text(TestBenchStates::CodeVerifierSealed))
                .col(text(TestBenchStates::AuthorizeUrl))
                .col(timestamp_with_time_zone(TestBenchStates::CreatedAt))
                .col(timestamp_with_time_zone(TestBenchStates::ExpiresAt))
                .col(timestamp_with_time_zone_null(TestBenchStates::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_test_bench_states_expires")
                .table(TestBenchStates::Table)
                .col(TestBenchStates::ExpiresAt)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum TestBenchStates {
    Table,
    Id,
    StateHash,
    SessionId,
    UserId,
    ClientId,
    Nonce,
    CodeVerifierSealed,
    AuthorizeUrl,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // An organization's plan and feature list (set by platform owners), carried in its
        // users' tokens as `plan` / `features`. Features are a JSON list, like every list.
        m.alter_table(
            Table::alter()
                .table(Organizations::Table)
                .add_column(string_null(Organizations::Plan))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Organizations::Table)
                .add_column(text(Organizations::Features).default("[]"))
                .to_owned(),
        )
        .await?;
        // Role definitions per organization: a member's token carries the union of the
        // permissions of its roles.
        m.create_table(
            Table::create()
                .table(OrgRoles::Table)
                .col(uuid(OrgRoles::Id).primary_key())
                .col(uuid(OrgRoles::OrgId))
                .col(string(OrgRoles::Role))
                .col(text(OrgRoles::Permissions))
                .col(timestamp_with_time_zone(OrgRoles::CreatedAt))
                .col(timestamp_with_time_zone(OrgRoles::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrgRoles::Table, OrgRoles::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_org_roles_org_role")
                .table(OrgRoles::Table)
                .col(OrgRoles::OrgId)
                .col(OrgRoles::Role)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Plan,
    Features,
}

#[derive(DeriveIden)]
enum OrgRoles {
    Table,
    Id,
    OrgId,
    Role,
    Permissions,
    CreatedAt,
    UpdatedAt,
}

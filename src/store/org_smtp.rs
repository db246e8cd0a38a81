//! An organization's own mail server (`org_smtp`).
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};
use uuid::Uuid;

pub use super::entities::org_smtp::Model as OrgSmtp;
use super::entities::org_smtp::{self, Column, Entity as Servers};

pub async fn find<C: ConnectionTrait>(db: &C, org_id: Uuid) -> Result<Option<OrgSmtp>, DbErr> {
    Servers::find_by_id(org_id).one(db).await
}

/// Creates or replaces the organization's mail server.
pub async fn upsert<C: ConnectionTrait>(db: &C, row: OrgSmtp) -> Result<(), DbErr> {
    Servers::insert(org_smtp::ActiveModel {
        org_id: Set(row.org_id),
        host: Set(row.host),
        port: Set(row.port),
        tls_mode: Set(row.tls_mode),
        username: Set(row.username),
        password_sealed: Set(row.password_sealed),
        from_address: Set(row.from_address),
        from_name: Set(row.from_name),
        updated_at: Set(super::now()),
    })
    .on_conflict(
        OnConflict::column(Column::OrgId)
            .update_columns([
                Column::Host,
                Column::Port,
                Column::TlsMode,
                Column::Username,
                Column::PasswordSealed,
                Column::FromAddress,
                Column::FromName,
                Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// `true` when the organization had a mail server of its own.
pub async fn delete<C: ConnectionTrait>(db: &C, org_id: Uuid) -> Result<bool, DbErr> {
    let result = Servers::delete_many()
        .filter(Column::OrgId.eq(org_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

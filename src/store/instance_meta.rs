use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, sea_query::OnConflict};

use super::entities::instance_meta::{self, Entity as Meta};

pub async fn find<C: ConnectionTrait>(db: &C, key: &str) -> Result<Option<String>, DbErr> {
    Ok(Meta::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value))
}

pub async fn upsert<C: ConnectionTrait>(db: &C, key: &str, value: &str) -> Result<(), DbErr> {
    Meta::insert(instance_meta::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
    })
    .on_conflict(
        OnConflict::column(instance_meta::Column::Key)
            .update_column(instance_meta::Column::Value)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

use super::entities::instance_meta::{self, Entity as Meta};

pub async fn find<C: ConnectionTrait>(db: &C, key: &str) -> Result<Option<String>, DbErr> {
    Ok(Meta::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|row| row.value))
}

/// Writes `value` unless the key already has one (first writer wins across instances).
pub async fn insert_if_absent<C: ConnectionTrait>(
    db: &C,
    key: &str,
    value: &str,
) -> Result<(), DbErr> {
    Meta::insert(instance_meta::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(value.to_owned()),
    })
    .on_conflict_do_nothing_on([instance_meta::Column::Key])
    .exec(db)
    .await?;
    Ok(())
}

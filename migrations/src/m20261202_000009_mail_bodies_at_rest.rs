use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Delivered and given-up mail no longer keeps its body (it held live one-time links in
        // plain text). From now on queued bodies are sealed with the master key and dropped on
        // delivery; this clears what older versions left behind. Pending rows are kept and sent.
        m.exec_stmt(
            Query::update()
                .table(MailOutbox::Table)
                .value(MailOutbox::BodyText, "")
                .value(MailOutbox::BodyHtml, "")
                .and_where(Expr::col(MailOutbox::Status).ne("pending"))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    BodyText,
    BodyHtml,
    Status,
}

//! Queued bodies at rest: `sealed:v1:` + AES-256-GCM under the master key, bound to the row id
//! and the part (text or HTML), so a body cannot be moved to another row. Rows queued before
//! sealing existed hold plain text without the prefix and are sent as they are.
use anyhow::Context;
use uuid::Uuid;

use crate::keys::MasterKey;
use crate::store::mail_outbox::OutboxMessage;

const PREFIX: &str = "sealed:v1:";

fn aad(id: Uuid, part: &str) -> Vec<u8> {
    format!("mail_outbox:{id}:{part}").into_bytes()
}

/// The text and HTML bodies, sealed for row `id`.
pub fn seal(master: &MasterKey, id: Uuid, text: &str, html: &str) -> (String, String) {
    let one = |body: &str, part: &str| {
        format!("{PREFIX}{}", master.seal(body.as_bytes(), &aad(id, part)))
    };
    (one(text, "text"), one(html, "html"))
}

/// The plain text and HTML bodies of a queued message.
pub fn open(master: &MasterKey, message: &OutboxMessage) -> anyhow::Result<(String, String)> {
    let one = |body: &str, part: &str| -> anyhow::Result<String> {
        match body.strip_prefix(PREFIX) {
            Some(sealed) => {
                let bytes = master.open(sealed, &aad(message.id, part)).map_err(|_| {
                    anyhow::anyhow!("the {part} body cannot be opened with this master key")
                })?;
                String::from_utf8(bytes).context("a sealed body is not UTF-8")
            }
            None => Ok(body.to_owned()),
        }
    };
    Ok((
        one(&message.body_text, "text")?,
        one(&message.body_html, "html")?,
    ))
}

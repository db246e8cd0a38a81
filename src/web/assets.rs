//! The static files, compiled into the binary. Pages link them with `?v=` and a hash of their
//! content, so after an upgrade no browser runs a cached script against newer pages (the
//! passkey form, for one, is shown by the script).
use actix_web::HttpResponse;
use actix_web::http::header;

const STYLESHEET: &str = include_str!("../../static/gatehouse.css");
const FORM_POST_SCRIPT: &str = include_str!("../../static/form_post.js");
const PASSKEY_SCRIPT: &str = include_str!("../../static/js/passkey.js");
const ENHANCE_SCRIPT: &str = include_str!("../../static/js/enhance.js");
const CONSOLE_STYLESHEET: &str = include_str!("../../static/console.css");

/// 16 hex digits of the FNV-1a hash of every asset, computed at compile time.
pub const VERSION: &str = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    const DIGITS: [u8; 16] = {
        let hash = fnv1a(
            fnv1a(
                fnv1a(fnv1a(0xcbf2_9ce4_8422_2325, STYLESHEET), FORM_POST_SCRIPT),
                PASSKEY_SCRIPT,
            ),
            ENHANCE_SCRIPT,
        );
        let hash = fnv1a(hash, CONSOLE_STYLESHEET);
        let mut digits = [0u8; 16];
        let mut i = 0;
        while i < 16 {
            digits[i] = HEX[((hash >> (60 - 4 * i)) & 0xf) as usize];
            i += 1;
        }
        digits
    };
    match std::str::from_utf8(&DIGITS) {
        Ok(version) => version,
        Err(_) => panic!("hex digits are UTF-8"),
    }
};

const fn fnv1a(mut hash: u64, text: &str) -> u64 {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .content_type(content_type)
        .body(body)
}

pub async fn stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", STYLESHEET)
}

pub async fn form_post_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", FORM_POST_SCRIPT)
}

pub async fn passkey_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", PASSKEY_SCRIPT)
}

pub async fn enhance_script() -> HttpResponse {
    asset("text/javascript; charset=utf-8", ENHANCE_SCRIPT)
}

pub async fn console_stylesheet() -> HttpResponse {
    asset("text/css; charset=utf-8", CONSOLE_STYLESHEET)
}

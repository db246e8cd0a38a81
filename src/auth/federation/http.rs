//! The HTTP client for upstream providers: no redirects (an upstream cannot bounce us to an
//! internal address), one overall timeout per call, and answers capped at 1 MiB, so a slow or
//! hostile upstream costs a bounded amount of time and memory.
use std::time::Duration;

use openidconnect::http::{self, HeaderValue};

/// The largest upstream answer read (discovery, keys, token, user API).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("the provider did not answer in time")]
    Timeout,
    #[error("the provider's answer is larger than 1 MiB")]
    TooLarge,
    #[error("the provider could not be reached: {0}")]
    Transport(String),
}

#[derive(Clone)]
pub struct Upstream {
    client: reqwest::Client,
}

impl Upstream {
    pub fn new(timeout: Duration) -> Result<Self, anyhow::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .user_agent("Gatehouse")
            .build()?;
        Ok(Self { client })
    }

    /// Sends one request and reads at most `MAX_RESPONSE_BYTES` of the answer.
    pub async fn call(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, UpstreamError> {
        let (parts, body) = request.into_parts();
        let mut builder = self
            .client
            .request(parts.method, parts.uri.to_string())
            .body(body);
        for (name, value) in &parts.headers {
            builder = builder.header(name, value);
        }
        let mut response = builder.send().await.map_err(classify)?;
        if response
            .content_length()
            .is_some_and(|len| len > MAX_RESPONSE_BYTES as u64)
        {
            return Err(UpstreamError::TooLarge);
        }
        let status = response.status();
        let headers = response.headers().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(UpstreamError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        let mut out = http::Response::builder().status(status);
        for (name, value) in &headers {
            out = out.header(name, value);
        }
        out.body(bytes)
            .map_err(|e| UpstreamError::Transport(e.to_string()))
    }

    /// `GET url` with a bearer token and JSON accepted (the GitHub user API).
    pub async fn get_json(
        &self,
        url: &str,
        bearer: &str,
    ) -> Result<(http::StatusCode, Vec<u8>), UpstreamError> {
        let request = http::Request::builder()
            .method(http::Method::GET)
            .uri(url)
            .header(http::header::ACCEPT, "application/vnd.github+json")
            .header(
                http::header::AUTHORIZATION,
                HeaderValue::from_str(&format!("Bearer {bearer}"))
                    .map_err(|e| UpstreamError::Transport(e.to_string()))?,
            )
            .body(Vec::new())
            .map_err(|e| UpstreamError::Transport(e.to_string()))?;
        let response = self.call(request).await?;
        Ok((response.status(), response.into_body()))
    }

    /// `POST url` with a form body, JSON accepted (token endpoints).
    pub async fn post_form(
        &self,
        url: &str,
        form: &[(&str, &str)],
        basic_auth: Option<(&str, &str)>,
    ) -> Result<(http::StatusCode, Vec<u8>), UpstreamError> {
        let body = serde_urlencoded::to_string(form)
            .map_err(|e| UpstreamError::Transport(e.to_string()))?;
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(url)
            .header(http::header::ACCEPT, "application/json")
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            );
        if let Some((id, secret)) = basic_auth {
            // RFC 6749 §2.3.1: both parts form-encoded before Basic.
            use base64::Engine;
            let pair = format!(
                "{}:{}",
                url::form_urlencoded::byte_serialize(id.as_bytes()).collect::<String>(),
                url::form_urlencoded::byte_serialize(secret.as_bytes()).collect::<String>()
            );
            let value = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            );
            request = request.header(http::header::AUTHORIZATION, value);
        }
        let request = request
            .body(body.into_bytes())
            .map_err(|e| UpstreamError::Transport(e.to_string()))?;
        let response = self.call(request).await?;
        Ok((response.status(), response.into_body()))
    }
}

fn classify(e: reqwest::Error) -> UpstreamError {
    if e.is_timeout() {
        UpstreamError::Timeout
    } else {
        // Without the URL: it may carry a code or token in its query.
        UpstreamError::Transport(e.without_url().to_string())
    }
}

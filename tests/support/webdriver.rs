//! The few W3C WebDriver calls the end-to-end tests need, over plain HTTP.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use serde_json::{json, Value};

pub struct Session {
    http: reqwest::Client,
    base: String,
}

impl Session {
    /// Launches `application` with `args` through the driver at `driver_url`.
    pub async fn launch(driver_url: &str, application: &Path, args: &[&str]) -> Result<Session> {
        let http = reqwest::Client::new();
        let capabilities = json!({
            "capabilities": { "alwaysMatch": { "tauri:options": {
                "application": application, "args": args
            }}}
        });
        let answer: Value = http
            .post(format!("{driver_url}/session"))
            .json(&capabilities)
            .send()
            .await
            .context("the WebDriver server did not answer")?
            .json()
            .await?;
        let id = answer["value"]["sessionId"]
            .as_str()
            .ok_or_else(|| anyhow!("no session: {answer}"))?;
        Ok(Session {
            http,
            base: format!("{driver_url}/session/{id}"),
        })
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await?.json().await?;
        if let Some(error) = answer["value"]["error"].as_str() {
            bail!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        Ok(answer["value"].clone())
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn execute(&self, script: &str) -> Result<Value> {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
        .await
    }

    /// Runs an asynchronous `script` that ends by calling `done(value)`.
    pub async fn execute_async(&self, script: &str) -> Result<Value> {
        let wrapped = format!("const done = arguments[arguments.length - 1]; {script}");
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({ "script": wrapped, "args": [] })),
        )
        .await
    }

    /// Re-evaluates `script` until `accept` takes its value, or fails after `patience`.
    /// Reading the page is the only way to observe it, so this polls the DOM.
    pub async fn wait_for<T>(
        &self,
        what: &str,
        patience: Duration,
        script: &str,
        accept: impl Fn(&Value) -> Option<T>,
    ) -> Result<(T, Duration)> {
        let started = Instant::now();
        let mut last = Value::Null;
        while started.elapsed() < patience {
            match self.execute(script).await {
                Ok(value) => {
                    if let Some(found) = accept(&value) {
                        return Ok((found, started.elapsed()));
                    }
                    last = value;
                }
                // The page reloads when the window moves to a new console (a configuration
                // edit, leaving the demo); a script caught by that reload is asked again.
                Err(error) if is_page_reload(&error) => {}
                Err(error) => return Err(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("{what}: not seen within {patience:?}; last read: {last}")
    }

    /// A PNG of the window's content.
    pub async fn screenshot(&self) -> Result<Vec<u8>> {
        let value = self.call(reqwest::Method::GET, "/screenshot", None).await?;
        let encoded = value
            .as_str()
            .ok_or_else(|| anyhow!("screenshot was not a string"))?;
        Ok(base64::engine::general_purpose::STANDARD.decode(encoded)?)
    }

    /// Closes the app.
    pub async fn close(self) -> Result<()> {
        self.call(reqwest::Method::DELETE, "", None)
            .await
            .map(|_| ())
    }
}

/// Whether a WebDriver error says only that the page unloaded under the script: WebKit's
/// driver answers "no such frame" with "Callback was not called before the unload event".
fn is_page_reload(error: &anyhow::Error) -> bool {
    let text = error.to_string();
    text.contains("no such frame") && text.contains("unload")
}

//! The OpenAPI document as a client generator reads it: for every operation, each error
//! class a client can provoke (no token, a bad token, a bad parameter, a bad body, an
//! unknown id) is answered with a status the operation documents, in the problem+json
//! shape the document gives.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shop_e2e::{Api, Reply, Running, commerce};

/// Limits high enough that the walk itself is never throttled (429 is checked elsewhere).
/// One documented operation.
struct Operation {
    method: reqwest::Method,
    path: String,
    documented: BTreeSet<u16>,
    secured: bool,
    path_params: Vec<String>,
    query_params: Vec<(String, String)>,
    has_body: bool,
    /// A JSON body (the size limit applies); other bodies are files streamed through.
    json_body: bool,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let Ok(method) = method.to_uppercase().parse::<reqwest::Method>() else { continue };
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let named = |place: &str| -> Vec<&Value> { params.iter().filter(|p| p["in"] == place).collect() };
            out.push(Operation {
                method,
                path: path.clone(),
                documented: op["responses"]
                    .as_object()
                    .expect("responses")
                    .keys()
                    .filter_map(|s| s.parse().ok())
                    .collect(),
                secured: op["security"].as_array().is_some_and(|s| !s.is_empty()),
                path_params: named("path").iter().filter_map(|p| p["name"].as_str().map(str::to_owned)).collect(),
                query_params: named("query")
                    .iter()
                    .filter_map(|p| Some((p["name"].as_str()?.to_owned(), p["schema"]["type"].to_string())))
                    .collect(),
                has_body: op.get("requestBody").is_some(),
                json_body: op.pointer("/requestBody/content/application~1json").is_some(),
            });
        }
    }
    out
}

impl Operation {
    /// The path with each parameter given `value`.
    fn with(&self, value: &str) -> String {
        self.path_params.iter().fold(self.path.clone(), |path, name| path.replace(&format!("{{{name}}}"), value))
    }

    /// Sends and checks the answer is documented (and a problem document when an error).
    async fn expect_documented(
        &self,
        api: &Api,
        what: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> u16 {
        let body = body.or_else(|| self.has_body.then(|| json!({})));
        let reply = api.send(self.method.clone(), path, token, body).await;
        let label = format!("{} {} ({what}): {} {}", self.method, self.path, reply.status, reply.text);
        assert!(
            self.documented.contains(&reply.status),
            "undocumented status: {label}; documented {:?}",
            self.documented
        );
        if reply.status >= 400 {
            is_problem(&reply, &label);
        }
        reply.status
    }
}

fn is_problem(reply: &Reply, label: &str) {
    let content_type = reply.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert_eq!(content_type, "application/problem+json", "{label}");
    for field in ["type", "title", "detail", "code"] {
        assert!(reply.body[field].is_string(), "{field} missing: {label}");
    }
    assert_eq!(reply.body["status"], reply.status, "{label}");
    if reply.status == 503 || reply.status == 429 {
        assert!(reply.headers.contains_key("retry-after"), "{label}");
    }
}

#[tokio::test]
async fn every_error_an_operation_answers_is_documented_as_a_problem() {
    let app = Running::start_with(&shop_e2e::unthrottled()).await;
    let api = &app.api;
    let doc = api.get("/api/openapi.json", None).await.body;
    let admin = commerce::token(api, "admin@shop.local", "admin-demo-password").await;
    let operations = operations(&doc);
    assert!(operations.len() >= 38, "every route is documented: {}", operations.len());
    let unknown = uuid::Uuid::now_v7().to_string();
    let mut provoked = BTreeSet::new();
    for op in &operations {
        let probe = ["/healthz", "/readyz"].contains(&op.path.as_str());
        let path = op.with(&unknown);
        if op.secured {
            let status = op.expect_documented(api, "no token", &path, None, None).await;
            assert_eq!(status, 401, "{} {} without a token", op.method, op.path);
            provoked.insert(status);
        }
        if !probe {
            let status = op.expect_documented(api, "a forged token", &path, Some("not.a.token"), None).await;
            assert_eq!(status, 401, "{} {} with a forged token", op.method, op.path);
        }
        if !op.path_params.is_empty() {
            provoked.insert(op.expect_documented(api, "an unknown id", &path, Some(&admin), None).await);
            let malformed = op.with("not%20an%20id");
            provoked.insert(op.expect_documented(api, "a malformed id", &malformed, Some(&admin), None).await);
        }
        for (name, kind) in &op.query_params {
            let bad = if kind.contains("integer") { "-1x" } else { "%00" };
            let query = format!("{path}?{name}={bad}");
            provoked.insert(op.expect_documented(api, "a bad query parameter", &query, Some(&admin), None).await);
        }
        if op.has_body {
            let body = Some(json!({"no_such_field": true}));
            let status = op.expect_documented(api, "a body with an unknown field", &path, Some(&admin), body).await;
            provoked.insert(status);
            let big = Some(json!({"padding": "x".repeat(1_100_000)}));
            let status = op.expect_documented(api, "a body over the limit", &path, Some(&admin), big).await;
            if op.json_body {
                assert_eq!(status, 413, "{} {} with a 1.1 MB body", op.method, op.path);
            } else {
                assert_eq!(status, 415, "{} {} takes files, not JSON", op.method, op.path);
            }
        }
        if !probe && !op.secured && op.path_params.is_empty() && !op.has_body {
            provoked.insert(op.expect_documented(api, "a plain call", &path, None, None).await);
        }
    }
    for status in [400, 401, 404] {
        assert!(provoked.contains(&status), "the walk provoked {status}: {provoked:?}");
    }
    app.stop().await;
}

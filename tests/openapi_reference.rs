#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `docs/admin-api-reference.md` is the admin API's OpenAPI document rendered for reading, and
//! stays true: this test renders it from the code and fails when the committed page differs.
//! Regenerate it with `UPDATE_DOCS=1 cargo test --test openapi_reference`.
use std::fmt::Write;

use serde_json::Value;

const PAGE: &str = "docs/admin-api-reference.md";

/// `#/components/schemas/Name` → `Name`.
fn ref_name(schema: &Value) -> Option<&str> {
    schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.rsplit('/').next())
}

/// A short type for a schema: a link to a named schema, `[T]` for arrays, or its JSON type.
fn type_of(schema: &Value) -> String {
    if let Some(name) = ref_name(schema) {
        return format!("[{name}](#{})", name.to_lowercase());
    }
    if let Some(variants) = schema.get("oneOf").and_then(Value::as_array) {
        return variants
            .iter()
            .map(type_of)
            .collect::<Vec<_>>()
            .join(" or ");
    }
    match schema.get("type") {
        Some(Value::String(t)) if t == "array" => {
            format!("[{}]", schema.get("items").map(type_of).unwrap_or_default())
        }
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_owned(),
    }
}

/// Markdown table cells may not hold pipes or line breaks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn render(doc: &Value) -> String {
    let mut out = String::new();
    let title = doc["info"]["title"].as_str().unwrap_or("Admin API");
    writeln!(out, "# {title}: reference\n").unwrap();
    writeln!(
        out,
        "Rendered from the OpenAPI {} document the server publishes at \
         `GET /api/admin/openapi.json` (generated from the handlers). Do not edit by hand: \
         `UPDATE_DOCS=1 cargo test --test openapi_reference` writes it again. How to \
         authenticate, the scopes and walkthroughs are in [admin-api.md](admin-api.md).\n",
        doc["openapi"].as_str().unwrap_or("3.1")
    )
    .unwrap();
    if let Some(description) = doc["info"]["description"].as_str() {
        writeln!(out, "{description}\n").unwrap();
    }
    writeln!(out, "## Routes\n").unwrap();
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        let item = item.as_object().unwrap();
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else {
                continue;
            };
            writeln!(out, "### `{} {path}`\n", method.to_uppercase()).unwrap();
            for key in ["summary", "description"] {
                if let Some(text) = op.get(key).and_then(Value::as_str) {
                    writeln!(out, "{text}\n").unwrap();
                }
            }
            if let Some(params) = op.get("parameters").and_then(Value::as_array)
                && !params.is_empty()
            {
                writeln!(out, "| parameter | in | type | required | |").unwrap();
                writeln!(out, "|---|---|---|---|---|").unwrap();
                for p in params {
                    writeln!(
                        out,
                        "| `{}` | {} | {} | {} | {} |",
                        p["name"].as_str().unwrap_or(""),
                        p["in"].as_str().unwrap_or(""),
                        p.get("schema").map(type_of).unwrap_or_default(),
                        if p["required"].as_bool().unwrap_or(false) {
                            "yes"
                        } else {
                            "no"
                        },
                        cell(p["description"].as_str().unwrap_or(""))
                    )
                    .unwrap();
                }
                writeln!(out).unwrap();
            }
            if let Some(body) = op
                .get("requestBody")
                .and_then(|b| b["content"]["application/json"].get("schema"))
            {
                writeln!(out, "Body: {}\n", type_of(body)).unwrap();
            }
            if let Some(responses) = op.get("responses").and_then(Value::as_object) {
                let answers: Vec<String> = responses
                    .iter()
                    .map(|(status, response)| {
                        match response["content"]["application/json"].get("schema") {
                            Some(schema) => format!("{status} {}", type_of(schema)),
                            None => status.clone(),
                        }
                    })
                    .collect();
                writeln!(out, "Answers: {}\n", answers.join(", ")).unwrap();
            }
        }
    }
    writeln!(out, "## Schemas\n").unwrap();
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            writeln!(out, "### {name}\n").unwrap();
            if let Some(text) = schema.get("description").and_then(Value::as_str) {
                writeln!(out, "{text}\n").unwrap();
            }
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                writeln!(out, "Type: {}\n", type_of(schema)).unwrap();
                continue;
            };
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .map(|r| r.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            writeln!(out, "| field | type | required | |").unwrap();
            writeln!(out, "|---|---|---|---|").unwrap();
            for (field, property) in properties {
                writeln!(
                    out,
                    "| `{field}` | {} | {} | {} |",
                    type_of(property),
                    if required.contains(&field.as_str()) {
                        "yes"
                    } else {
                        "no"
                    },
                    cell(property["description"].as_str().unwrap_or(""))
                )
                .unwrap();
            }
            writeln!(out).unwrap();
        }
    }
    out
}

#[test]
fn the_rendered_reference_matches_the_openapi_document() {
    let doc = serde_json::to_value(gatehouse::web::api::admin::openapi()).unwrap();
    let rendered = render(&doc);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(PAGE);
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "{PAGE} is out of date with the admin API: run `UPDATE_DOCS=1 cargo test --test openapi_reference` and commit the page"
    );
    // Every route of the document has its heading.
    let routes = doc["paths"].as_object().unwrap();
    for path in routes.keys() {
        assert!(committed.contains(&format!(" {path}`")), "{path} missing");
    }
}

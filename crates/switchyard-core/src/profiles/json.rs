//! Typed, path-aware access to a service's JSON. Every profile reads through this, so a
//! field with the wrong type is reported the same way everywhere: which field, what it
//! was, what was expected.

use serde_json::{Map, Value};

use super::ParseError;

/// Parses a response body as a JSON object.
pub fn object_body(body: &[u8]) -> Result<Map<String, Value>, ParseError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| ParseError {
        reason: "not_json".into(),
        message: format!("the body is not JSON: {e}"),
    })?;
    match value {
        Value::Object(map) => Ok(map),
        other => Err(ParseError {
            reason: "wrong_type".into(),
            message: format!("the body is {}, expected a JSON object", describe(&other)),
        }),
    }
}

/// A JSON object together with its path in the document, for error messages.
pub struct Fields<'a> {
    pub path: String,
    pub map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn root(map: &'a Map<String, Value>) -> Self {
        Fields {
            path: String::new(),
            map,
        }
    }

    fn field_path(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn wrong_type(&self, key: &str, value: &Value, expected: &str) -> ParseError {
        ParseError {
            reason: "wrong_type".into(),
            message: format!(
                "`{}` is {}, expected {expected}",
                self.field_path(key),
                describe(value)
            ),
        }
    }

    /// A present, non-null value; `null` counts as missing.
    fn present(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn required_str(&self, key: &str) -> Result<&'a str, ParseError> {
        self.optional_str(key)?.ok_or_else(|| ParseError {
            reason: "missing_field".into(),
            message: format!("`{}` is missing", self.field_path(key)),
        })
    }

    pub fn optional_str(&self, key: &str) -> Result<Option<&'a str>, ParseError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.wrong_type(key, other, "a string")),
        }
    }

    pub fn optional_f64(&self, key: &str) -> Result<Option<f64>, ParseError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => Err(self.wrong_type(key, other, "a number")),
        }
    }

    pub fn optional_object(&self, key: &str) -> Result<Option<Fields<'a>>, ParseError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Fields {
                path: self.field_path(key),
                map,
            })),
            Some(other) => Err(self.wrong_type(key, other, "an object")),
        }
    }

    pub fn optional_bool(&self, key: &str) -> Result<Option<bool>, ParseError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong_type(key, other, "a boolean")),
        }
    }

    /// An array whose every element is an object; `None` when absent.
    pub fn optional_objects(&self, key: &str) -> Result<Option<Vec<Fields<'a>>>, ParseError> {
        match self.present(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::Object(map) => Ok(Fields {
                        path: format!("{}[{i}]", self.field_path(key)),
                        map,
                    }),
                    other => Err(ParseError {
                        reason: "wrong_type".into(),
                        message: format!(
                            "`{}[{i}]` is {}, expected an object",
                            self.field_path(key),
                            describe(other)
                        ),
                    }),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(self.wrong_type(key, other, "an array")),
        }
    }

    /// Each member of this object that is itself an object, in document order.
    pub fn child_objects(&self) -> Result<Vec<(&'a str, Fields<'a>)>, ParseError> {
        self.map
            .iter()
            .map(|(key, value)| match value {
                Value::Object(map) => Ok((
                    key.as_str(),
                    Fields {
                        path: self.field_path(key),
                        map,
                    },
                )),
                other => Err(self.wrong_type(key, other, "an object")),
            })
            .collect()
    }
}

/// "a number", "a string", … for error messages.
pub fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

//! The configuration text being read, for error messages that name the line: byte
//! offsets from the TOML parser become line numbers, and values are read with the
//! error already placed.

use std::time::Duration;

use toml::Spanned;

use super::ConfigError;
use crate::units::{parse_duration, parse_size};

/// Turns byte offsets into line numbers for error messages.
pub(super) struct Source<'a> {
    pub(super) text: &'a str,
}

impl Source<'_> {
    pub(super) fn line_of(&self, offset: usize) -> usize {
        self.text[..offset.min(self.text.len())]
            .bytes()
            .filter(|b| *b == b'\n')
            .count()
            + 1
    }

    pub(super) fn error_at<T>(&self, spanned: &Spanned<T>, message: String) -> ConfigError {
        ConfigError {
            file: None,
            line: Some(self.line_of(spanned.span().start)),
            message,
        }
    }

    fn duration(&self, value: &Spanned<String>, key: &str) -> Result<Duration, ConfigError> {
        parse_duration(value.get_ref()).map_err(|e| self.error_at(value, format!("{key}: {e}")))
    }

    pub(super) fn optional_duration(
        &self,
        value: Option<&Spanned<String>>,
        key: &str,
    ) -> Result<Option<Duration>, ConfigError> {
        value.map(|v| self.duration(v, key)).transpose()
    }

    pub(super) fn optional_size(
        &self,
        value: Option<&Spanned<String>>,
        key: &str,
    ) -> Result<Option<u64>, ConfigError> {
        value
            .map(|v| parse_size(v.get_ref()).map_err(|e| self.error_at(v, format!("{key}: {e}"))))
            .transpose()
    }
}

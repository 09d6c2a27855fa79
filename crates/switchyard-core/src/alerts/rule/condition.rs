//! When a watched value is wrong (or right again): a comparison with a threshold
//! (`< 0.7`) or a set of state words (`state is open, half_open`), parsed from text.

use std::fmt;

/// A numeric comparison of the watched value against a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparison {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
}

impl Comparison {
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Eq => "==",
        }
    }

    /// Reads `>`, `>=`, `<`, `<=` or `==` (also `=`, as services sometimes write it).
    pub fn parse(symbol: &str) -> Option<Comparison> {
        match symbol.trim() {
            ">" => Some(Comparison::Gt),
            ">=" => Some(Comparison::Ge),
            "<" => Some(Comparison::Lt),
            "<=" => Some(Comparison::Le),
            "==" | "=" => Some(Comparison::Eq),
            _ => None,
        }
    }

    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Comparison::Gt => value > threshold,
            Comparison::Ge => value >= threshold,
            Comparison::Lt => value < threshold,
            Comparison::Le => value <= threshold,
            // Values are measurements; exact equality is meant for 0/1 flags and counts.
            Comparison::Eq => value == threshold,
        }
    }

    pub(super) fn is_above(self) -> bool {
        matches!(self, Comparison::Gt | Comparison::Ge)
    }
}

/// When a watched value counts as matching: a comparison with a number, or a state
/// among a set of words (`state is open, half_open`).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare {
        op: Comparison,
        threshold: f64,
    },
    /// Normalised words (lowercase, `_` for `-` and spaces).
    StateIs(Vec<String>),
}

impl Condition {
    /// Parses `"< 0.7"`, `">= 0.75"`, `"== 1"`, `"state is open"` or
    /// `"state is open, half_open"` (also `"state is open or half-open"`).
    pub fn parse(text: &str) -> Result<Condition, String> {
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(
                "is empty; write a comparison such as `< 0.7` or a state such as `state is open`"
                    .into(),
            );
        }
        let lower = trimmed.to_ascii_lowercase();
        if let Some(rest) = lower.strip_prefix("state is") {
            if rest.trim_start().starts_with("not") {
                return Err(format!(
                    "`{trimmed}`: `state is not` is not supported; list the states that should match"
                ));
            }
            let words: Vec<String> = rest
                .replace(" or ", ",")
                .split(',')
                .map(normalise_word)
                .filter(|w| !w.is_empty())
                .collect();
            if words.is_empty() {
                return Err(format!(
                    "`{trimmed}` names no state; write for example `state is open`"
                ));
            }
            return Ok(Condition::StateIs(words));
        }
        let split = trimmed
            .find(|c: char| !matches!(c, '<' | '>' | '=' | '!'))
            .unwrap_or(trimmed.len());
        let (symbol, number) = trimmed.split_at(split);
        let Some(op) = Comparison::parse(symbol) else {
            return Err(format!(
                "`{trimmed}` does not start with >, >=, <, <= or ==, nor with `state is`"
            ));
        };
        let number = number.trim();
        if number.ends_with('%') {
            return Err(format!(
                "`{trimmed}`: write the number without %, on the series' own scale (ratios are 0..1, `*_percent` series 0..100)"
            ));
        }
        let threshold: f64 = number.parse().map_err(|_| {
            format!("`{trimmed}`: `{number}` is not a number; write for example `< 0.7`")
        })?;
        if !threshold.is_finite() {
            return Err(format!(
                "`{trimmed}`: the threshold must be a finite number"
            ));
        }
        Ok(Condition::Compare { op, threshold })
    }

    pub fn is_state(&self) -> bool {
        matches!(self, Condition::StateIs(_))
    }

    /// Whether a reading with this number and these state words matches.
    pub fn matches(&self, value: Option<f64>, words: &[&str]) -> bool {
        match self {
            Condition::Compare { op, threshold } => value.is_some_and(|v| op.holds(v, *threshold)),
            Condition::StateIs(wanted) => words.iter().any(|w| wanted.iter().any(|x| x == w)),
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Compare { op, threshold } => write!(f, "{} {threshold}", op.symbol()),
            Condition::StateIs(words) => write!(f, "state is {}", words.join(", ")),
        }
    }
}

/// `HALF_OPEN`, `half-open` and `Half Open` are the same word (docs/contracts.md).
fn normalise_word(word: &str) -> String {
    word.trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .collect()
}

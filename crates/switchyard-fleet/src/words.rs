//! The contract's rule for enum words: case-insensitive, with `-`, `_` and
//! space treated alike. The fleet accepts words in its control API by the
//! same rule a parser must apply to what the fleet serves.

/// `word` trimmed, lower-cased, with `-` and space turned into `_`.
pub(crate) fn fold(word: &str) -> String {
    word.trim().to_ascii_lowercase().replace(['-', ' '], "_")
}

/// The entry of `choices` whose word folds like `word`.
pub(crate) fn pick<T: Copy>(word: &str, choices: &[(&str, T)], what: &str) -> Result<T, String> {
    let wanted = fold(word);
    choices
        .iter()
        .find(|(name, _)| fold(name) == wanted)
        .map(|(_, value)| *value)
        .ok_or_else(|| {
            let known: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            format!(
                "unknown {what} {word:?}; expected one of {}",
                known.join(", ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_treats_separators_alike() {
        assert_eq!(fold(" Half Open "), "half_open");
        assert_eq!(fold("HALF-OPEN"), "half_open");
        assert_eq!(
            pick("half open", &[("HALF_OPEN", 1), ("OPEN", 2)], "state"),
            Ok(1)
        );
        assert!(pick("shut", &[("OPEN", 2)], "state").is_err());
    }
}

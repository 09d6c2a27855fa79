//! Natural order for names: `svc2` before `svc10`, as an engineer reads them. Every list
//! of services, breakers or series the console sorts by name (the CLI's output, the
//! store's name lists, the snapshot) uses this one comparison; the UI has its twin.

use std::cmp::Ordering;

/// Compares `a` and `b` with runs of ASCII digits taken as numbers (`svc2` < `svc10`,
/// `a01` == `a1` by value, then the shorter run first), other characters by their
/// lower-case form, and, when that finds no difference, as plain text so that the order
/// is total and stable.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut x, mut y) = (a.as_bytes(), b.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return a.cmp(b),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(c), Some(d)) if c.is_ascii_digit() && d.is_ascii_digit() => {
                let (m, rest_x) = digit_run(x);
                let (n, rest_y) = digit_run(y);
                let (m_trim, n_trim) = (trim_zeros(m), trim_zeros(n));
                let by_value = m_trim
                    .len()
                    .cmp(&n_trim.len())
                    .then_with(|| m_trim.cmp(n_trim))
                    .then_with(|| m.len().cmp(&n.len()));
                if by_value != Ordering::Equal {
                    return by_value;
                }
                (x, y) = (rest_x, rest_y);
            }
            (Some(c), Some(d)) => {
                let by_char = c.to_ascii_lowercase().cmp(&d.to_ascii_lowercase());
                if by_char != Ordering::Equal {
                    return by_char;
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

fn digit_run(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s
        .iter()
        .position(|c| !c.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

fn trim_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|&c| c != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_inside_names_sort_by_value() {
        let mut names = vec![
            "svc10", "svc2", "svc1", "Svc3", "api", "svc02", "svc", "svc10a", "svc10-b",
        ];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            ["api", "svc", "svc1", "svc2", "svc02", "Svc3", "svc10", "svc10-b", "svc10a"]
        );
        assert_eq!(natural_cmp("svc2", "svc10"), Ordering::Less);
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
        assert_eq!(
            natural_cmp("A", "a"),
            Ordering::Less,
            "total: falls back to text"
        );
        // Runs longer than any integer type still compare.
        assert_eq!(
            natural_cmp("x99999999999999999999999", "x100000000000000000000000"),
            Ordering::Less
        );
    }
}

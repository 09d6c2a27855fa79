//! Largest-Triangle-Three-Buckets downsampling (Steinarsson, 2013): keeps the shape of a
//! series in few points. [`downsample`] also keeps the series' lowest and highest
//! points, which plain LTTB may lose when both fall in one bucket: an engineer looking
//! for "how bad did it get" must see the spike.

/// Plain LTTB: at most `threshold` points, always the first and the last. Points must
/// be sorted by time.
pub fn lttb(points: &[(i64, f64)], threshold: usize) -> Vec<(i64, f64)> {
    let n = points.len();
    if threshold >= n || n <= 2 {
        return points.to_vec();
    }
    match threshold {
        0 => return Vec::new(),
        1 => return vec![points[0]],
        2 => return vec![points[0], points[n - 1]],
        _ => {}
    }
    let mut out = Vec::with_capacity(threshold);
    out.push(points[0]);
    // The points between first and last go into threshold - 2 buckets.
    let every = (n - 2) as f64 / (threshold - 2) as f64;
    let mut a = 0usize;
    for i in 0..threshold - 2 {
        let start = (i as f64 * every) as usize + 1;
        let end = (((i + 1) as f64 * every) as usize + 1).min(n - 1);
        // The average of the next bucket (or the last point, for the last bucket).
        let next_start = end;
        let next_end = (((i + 2) as f64 * every) as usize + 1).min(n);
        let (avg_x, avg_y) = if next_start < next_end {
            let slice = &points[next_start..next_end];
            let len = slice.len() as f64;
            (
                slice.iter().map(|p| p.0 as f64).sum::<f64>() / len,
                slice.iter().map(|p| p.1).sum::<f64>() / len,
            )
        } else {
            (points[n - 1].0 as f64, points[n - 1].1)
        };
        let (ax, ay) = (points[a].0 as f64, points[a].1);
        let mut best = start;
        let mut best_area = -1.0;
        for (j, p) in points.iter().enumerate().take(end).skip(start) {
            let area = ((ax - avg_x) * (p.1 - ay) - (ax - p.0 as f64) * (avg_y - ay)).abs();
            if area > best_area {
                best_area = area;
                best = j;
            }
        }
        out.push(points[best]);
        a = best;
    }
    out.push(points[n - 1]);
    out
}

/// LTTB to at most `max_points` points that always keeps the lowest and highest point
/// (the first of each, if repeated). Points must be sorted by time.
pub fn downsample(points: &[(i64, f64)], max_points: usize) -> Vec<(i64, f64)> {
    if points.len() <= max_points {
        return points.to_vec();
    }
    let Some(lowest) = extreme(points, |a, b| a < b) else {
        return Vec::new();
    };
    let Some(highest) = extreme(points, |a, b| a > b) else {
        return Vec::new();
    };
    if max_points < 4 {
        let mut out = vec![points[lowest], points[highest]];
        out.sort_by_key(|p| p.0);
        out.dedup();
        out.truncate(max_points);
        return out;
    }
    let mut out = lttb(points, max_points - 2);
    for index in [lowest, highest] {
        let point = points[index];
        // Times are unique: a point already there at that time is this one.
        if let Err(at) = out.binary_search_by_key(&point.0, |p| p.0) {
            out.insert(at, point);
        }
    }
    out
}

/// The index of the point whose value wins `better` against all others (NaN never wins).
fn extreme(points: &[(i64, f64)], better: impl Fn(f64, f64) -> bool) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, p) in points.iter().enumerate() {
        if p.1.is_nan() {
            continue;
        }
        match best {
            Some(b) if !better(p.1, points[b].1) => {}
            _ => best = Some(i),
        }
    }
    best.or(if points.is_empty() { None } else { Some(0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(n: usize, seed: u64) -> Vec<(i64, f64)> {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut v = 0.0;
        (0..n)
            .map(|i| {
                v += rng.f64() - 0.5;
                (i as i64 * 1000, v)
            })
            .collect()
    }

    #[test]
    fn short_series_come_back_whole() {
        let s = series(10, 1);
        assert_eq!(lttb(&s, 10), s);
        assert_eq!(lttb(&s, 50), s);
        assert_eq!(downsample(&s, 10), s);
    }

    #[test]
    fn lttb_keeps_first_last_and_the_count() {
        let s = series(10_000, 2);
        let d = lttb(&s, 500);
        assert_eq!(d.len(), 500);
        assert_eq!(d[0], s[0]);
        assert_eq!(d[499], s[9_999]);
        assert!(
            d.windows(2).all(|w| w[0].0 < w[1].0),
            "strictly in time order"
        );
        assert!(d.iter().all(|p| s.contains(p)), "only real points");
    }

    #[test]
    fn downsample_keeps_both_extremes_even_in_one_bucket() {
        let mut s = series(100_000, 3);
        // A spike up and a spike down next to each other: one LTTB bucket.
        s[50_000].1 = 1e6;
        s[50_001].1 = -1e6;
        for max_points in [4, 5, 100, 1_500] {
            let d = downsample(&s, max_points);
            assert!(d.len() <= max_points, "{} > {max_points}", d.len());
            assert!(
                d.contains(&s[50_000]) && d.contains(&s[50_001]),
                "{max_points}"
            );
            assert!(d.windows(2).all(|w| w[0].0 < w[1].0));
        }
    }

    #[test]
    fn a_straight_line_stays_straight() {
        let s: Vec<(i64, f64)> = (0..1000).map(|i| (i, i as f64 * 2.0)).collect();
        let d = lttb(&s, 20);
        assert!(d.iter().all(|(t, v)| *v == *t as f64 * 2.0));
    }
}

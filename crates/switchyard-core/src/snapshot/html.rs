//! The snapshot as one self-contained HTML page: inline CSS and inline SVG, no network
//! access and no script needed to read it (a few lines make tables sortable), and a
//! print stylesheet so it goes to paper or PDF cleanly. Every piece of text is escaped;
//! the SVGs come from our own chart code, which escapes its labels.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use super::{EventKind, Snapshot};

const STYLE: &str = r#"
:root { --ink:#1d2430; --muted:#5b6676; --line:#d9dee5; --bad:#c62828; --warn:#b26a00; --ok:#2e7d32; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; margin: 0 auto; max-width: 1000px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin: 0 0 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; white-space: nowrap; }
th[data-sortable] { cursor: pointer; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
.kind { display: inline-block; padding: 0 6px; border-radius: 3px; font-size: 12px; background: #eef1f5; }
.kind-alert { background: #fde7e7; } .kind-transition { background: #fff1dc; } .kind-action { background: #e3effd; }
.kind-acknowledgement, .kind-silence, .kind-silence_removed { background: #ececf8; } .kind-stream { background: #e8f4ec; }
.state-open, .state-forced_open, .state-firing, .state-down, .state-failed { color: var(--bad); font-weight: 600; }
.state-half_open, .state-degraded, .state-unfinished { color: var(--warn); font-weight: 600; }
.state-closed, .state-ok, .state-resolved, .state-succeeded { color: var(--ok); }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 140px; }
.card b { display: block; font-size: 20px; }
figure { margin: 8px 0 14px; }
figure svg { max-width: 100%; height: auto; display: block; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 12px; }
.service { break-before: auto; }
nav ul { columns: 3; padding-left: 18px; }
footer { color: var(--muted); font-size: 12px; margin-top: 32px; }
@page { size: A4; margin: 12mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  figure, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .service { break-before: page; }
  th[data-sortable] { cursor: auto; }
}
"#;

/// Sorts a table by the clicked column; numbers and ISO times compare as such. The page
/// reads the same without it.
const SORT_SCRIPT: &str = r#"
document.querySelectorAll('table.sortable th').forEach(function (th, index) {
  th.setAttribute('data-sortable', '');
  th.addEventListener('click', function () {
    var table = th.closest('table'), body = table.tBodies[0];
    var ascending = th.getAttribute('aria-sort') !== 'ascending';
    table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
    th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
    var column = Array.prototype.indexOf.call(th.parentNode.children, th);
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[column].getAttribute('data-value') || a.cells[column].textContent;
      var y = b.cells[column].getAttribute('data-value') || b.cells[column].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny) && String(nx) === x.trim() && String(ny) === y.trim()) ? nx - ny : x.localeCompare(y);
      return ascending ? c : -c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"#;

/// Escapes text for HTML element content and quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A CSS class suffix from a state word: letters, digits and `_` only.
fn class(word: &str) -> String {
    word.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

fn when(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn short(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()
}

fn opt(value: Option<&str>) -> String {
    value.map(escape).unwrap_or_else(|| "—".to_string())
}

fn milliseconds(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |l| format!("{l:.1} ms"))
}

fn number(value: Option<f64>) -> String {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 1e15 => format!("{v:.0}"),
        Some(v) => format!("{v:.3}"),
        None => "—".to_string(),
    }
}

fn duration(from: &DateTime<Utc>, until: &DateTime<Utc>) -> String {
    let secs = (*until - *from).num_seconds().max(0);
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h {m:02}m {s:02}s")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// The anchor of a service's section.
fn anchor(service: &str) -> String {
    format!("service-{}", class(service))
}

/// The snapshot as one HTML document.
pub fn render_html(snapshot: &Snapshot) -> String {
    // Writing into a String cannot fail; the results are ignored for that reason.
    let mut h = String::with_capacity(
        64 * 1024
            + snapshot
                .services
                .iter()
                .flat_map(|s| s.charts.iter().map(|c| c.svg.len()))
                .sum::<usize>(),
    );
    let window = &snapshot.window;
    let title = format!(
        "Incident snapshot {} – {} UTC",
        short(&window.since),
        short(&window.until)
    );
    let _ = writeln!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{}\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        escape(&snapshot.generator),
        escape(&title)
    );
    let _ = writeln!(
        h,
        "<header><h1>{}</h1><p class=\"meta\">Generated {} by {} · schema version {} · all times UTC</p></header>",
        escape(&title),
        escape(&when(&snapshot.generated_at)),
        escape(&snapshot.generator),
        snapshot.schema_version
    );

    // Contents, for the screen only.
    h.push_str("<nav><h2>Contents</h2><ul><li><a href=\"#summary\">Summary</a></li><li><a href=\"#timeline\">Timeline</a></li><li><a href=\"#breakers\">Breakers</a></li>");
    for s in &snapshot.services {
        let _ = write!(
            h,
            "<li><a href=\"#{}\">{}</a></li>",
            escape(&anchor(&s.name)),
            escape(&s.name)
        );
    }
    h.push_str("</ul></nav>\n");

    summary(&mut h, snapshot);
    timeline(&mut h, snapshot);
    breakers(&mut h, snapshot);
    for service in &snapshot.services {
        service_section(&mut h, service);
    }
    config(&mut h, snapshot);

    let _ = writeln!(
        h,
        "<footer>Switchyard incident snapshot · {} · the same data is available as JSON (schema version {}).</footer>\n<script>{SORT_SCRIPT}</script>\n</body>\n</html>",
        escape(&snapshot.generator),
        snapshot.schema_version
    );
    h
}

fn summary(h: &mut String, snapshot: &Snapshot) {
    let s = &snapshot.summary;
    let _ = writeln!(
        h,
        "<section id=\"summary\"><h2>Summary</h2>\
         <p>From <time datetime=\"{}\">{}</time> until <time datetime=\"{}\">{}</time> ({}), {} service(s): {}.</p>\
         <div class=\"cards\">\
         <div class=\"card\"><b>{}</b>alerts fired</div>\
         <div class=\"card\"><b>{}</b>acknowledged</div>\
         <div class=\"card\"><b>{}</b>actions taken</div>\
         <div class=\"card\"><b>{}</b>actions failed or unfinished</div>\
         <div class=\"card\"><b>{}</b>events</div></div>",
        escape(&when(&s.window.since)),
        escape(&short(&s.window.since)),
        escape(&when(&s.window.until)),
        escape(&short(&s.window.until)),
        escape(&duration(&s.window.since, &s.window.until)),
        s.services.len(),
        escape(&s.services.join(", ")),
        s.alerts_fired,
        s.alerts_acknowledged,
        s.actions_taken,
        s.actions_failed,
        s.events
    );
    h.push_str(
        "<h3>Worst states seen</h3><table class=\"sortable\"><thead><tr><th>Service</th><th>Health</th>\
         <th>Unreachable rounds</th><th>Worst breaker state</th><th>Highest alert</th></tr></thead><tbody>\n",
    );
    for w in &s.worst {
        let breaker = match (&w.breaker, &w.breaker_name) {
            (Some(state), Some(name)) => format!(
                "<span class=\"state-{}\">{}</span> ({})",
                class(state),
                escape(state),
                escape(name)
            ),
            _ => "—".to_string(),
        };
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#{}\">{}</a></td><td class=\"state-{}\">{}</td><td class=\"num\" data-value=\"{}\">{} of {}</td><td>{}</td><td class=\"state-{}\">{}</td></tr>",
            escape(&anchor(&w.service)),
            escape(&w.service),
            class(w.health.as_deref().unwrap_or_default()),
            opt(w.health.as_deref()),
            w.unreachable_rounds,
            w.unreachable_rounds,
            w.rounds,
            breaker,
            class(w.alert_severity.as_deref().unwrap_or_default()),
            opt(w.alert_severity.as_deref())
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn timeline(h: &mut String, snapshot: &Snapshot) {
    let _ = writeln!(
        h,
        "<section id=\"timeline\"><h2>Timeline</h2><p class=\"meta\">{} event(s) in time order: breaker transitions, alerts, acknowledgements, silences, actions and stream state changes.</p>",
        snapshot.timeline.len()
    );
    if snapshot.timeline.is_empty() {
        h.push_str("<p>Nothing happened in this window.</p></section>\n");
        return;
    }
    h.push_str(
        "<table class=\"sortable\" id=\"timeline-table\"><thead><tr><th>Time (UTC)</th><th>Service</th><th>Kind</th>\
         <th>Subject</th><th>State</th><th>What happened</th></tr></thead><tbody>\n",
    );
    for e in &snapshot.timeline {
        let kind = e.kind.as_str();
        let _ = writeln!(
            h,
            "<tr class=\"event\" data-kind=\"{kind}\"><td class=\"time\" data-value=\"{}\">{}</td><td>{}</td><td><span class=\"kind kind-{kind}\">{}</span></td><td>{}</td><td class=\"state-{}\">{}</td><td>{}</td></tr>",
            escape(&when(&e.at)),
            escape(&short(&e.at)),
            opt(e.service.as_deref().or(if e.kind == EventKind::Silence || e.kind == EventKind::SilenceRemoved { Some("all services") } else { None })),
            escape(&kind.replace('_', " ")),
            opt(e.subject.as_deref()),
            class(e.state.as_deref().unwrap_or_default()),
            opt(e.state.as_deref()),
            escape(&e.text)
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn breakers(h: &mut String, snapshot: &Snapshot) {
    h.push_str("<section id=\"breakers\"><h2>Breakers</h2>\n");
    match &snapshot.breaker_timeline_svg {
        Some(svg) => {
            let _ = writeln!(
                h,
                "<figure class=\"chart\">{svg}<figcaption>Breaker states over the window (green closed, amber half-open, red open).</figcaption></figure>"
            );
        }
        None => h.push_str("<p>No breaker history in this window.</p>\n"),
    }
    h.push_str("</section>\n");
}

fn service_section(h: &mut String, service: &super::ServiceSnapshot) {
    let _ = writeln!(
        h,
        "<section class=\"service\" id=\"{}\"><h2>{}</h2>",
        escape(&anchor(&service.name)),
        escape(&service.name)
    );
    if !service.instances.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"meta\">{} instances in the window: {}.</p>",
            service.instances.len(),
            escape(&service.instances.join(", "))
        );
    }

    h.push_str("<h3>Last observation</h3>\n");
    match &service.last_observation {
        Some(o) => {
            let _ = writeln!(
                h,
                "<table><tbody><tr><th>Observed</th><td class=\"time\">{}</td></tr>\
                 <tr><th>Reachability</th><td>{}</td></tr>\
                 <tr><th>Health</th><td class=\"state-{}\">{}</td></tr>\
                 <tr><th>Latency</th><td>{}</td></tr>\
                 <tr><th>Message</th><td>{}</td></tr>\
                 <tr><th>Version</th><td>{}</td></tr></tbody></table>",
                escape(&short(&o.observed_at)),
                escape(&o.reachability),
                class(o.status.as_deref().unwrap_or_default()),
                opt(o.status.as_deref()),
                milliseconds(o.latency_ms),
                opt(o.message.as_deref()),
                opt(o.version.as_deref())
            );
            if !o.dependencies.is_empty() {
                h.push_str("<table class=\"sortable dependencies\"><thead><tr><th>Dependency</th><th>Status</th><th>Latency</th><th>Error</th></tr></thead><tbody>\n");
                for d in &o.dependencies {
                    let _ = writeln!(
                        h,
                        "<tr><td>{}</td><td class=\"state-{}\">{}{}</td><td class=\"num\">{}</td><td>{}</td></tr>",
                        escape(&d.name),
                        class(&d.status),
                        escape(&d.status),
                        if d.slow { ", slow" } else { "" },
                        milliseconds(d.latency_ms),
                        opt(d.error.as_deref())
                    );
                }
                h.push_str("</tbody></table>\n");
            }
            if !o.values.is_empty() {
                h.push_str("<table class=\"sortable\"><thead><tr><th>Series</th><th>Last value</th><th>At (UTC)</th></tr></thead><tbody>\n");
                for v in &o.values {
                    let _ = writeln!(
                        h,
                        "<tr><td>{}</td><td class=\"num\" data-value=\"{}\">{}</td><td class=\"time\">{}</td></tr>",
                        escape(&v.series),
                        v.value,
                        number(Some(v.value)),
                        escape(&short(&v.at))
                    );
                }
                h.push_str("</tbody></table>\n");
            }
        }
        None => h.push_str("<p>No poll round in this window.</p>\n"),
    }

    h.push_str("<h3>Breakers</h3>\n");
    if service.breakers.is_empty() {
        h.push_str("<p>No breaker history in this window.</p>\n");
    } else {
        h.push_str("<table class=\"sortable breakers\"><thead><tr><th>Breaker</th><th>State</th><th>From (UTC)</th><th>Until (UTC)</th><th>Duration</th></tr></thead><tbody>\n");
        for b in &service.breakers {
            for i in &b.intervals {
                let _ = writeln!(
                    h,
                    "<tr><td>{}</td><td class=\"state-{}\">{}</td><td class=\"time\" data-value=\"{}\">{}</td><td class=\"time\" data-value=\"{}\">{}</td><td data-value=\"{}\">{}</td></tr>",
                    escape(&b.name),
                    class(&i.state),
                    escape(&i.state),
                    escape(&when(&i.from)),
                    escape(&short(&i.from)),
                    escape(&when(&i.until)),
                    escape(&short(&i.until)),
                    (i.until - i.from).num_milliseconds(),
                    escape(&duration(&i.from, &i.until))
                );
            }
        }
        h.push_str("</tbody></table>\n");
    }

    h.push_str("<h3>Charts</h3>\n");
    if service.charts.is_empty() {
        h.push_str("<p>No series data in this window.</p>\n");
    }
    for c in &service.charts {
        let thresholds = if c.thresholds.is_empty() {
            String::new()
        } else {
            let lines: Vec<String> = c
                .thresholds
                .iter()
                .map(|t| format!("{} {}", t.label, number(Some(t.value))))
                .collect();
            format!(" · thresholds: {}", lines.join(", "))
        };
        let _ = writeln!(
            h,
            "<figure class=\"chart\" data-series=\"{}\">{}<figcaption>{} ({}) · {} points, {} resolution · min {} · max {} · last {}{}</figcaption></figure>",
            escape(&c.series),
            c.svg,
            escape(&c.series),
            escape(&c.unit),
            c.points,
            escape(&c.resolution),
            number(c.min),
            number(c.max),
            number(c.last),
            escape(&thresholds)
        );
    }
    if !service.omitted_series.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"meta\">Not charted: {}.</p>",
            escape(&service.omitted_series.join(", "))
        );
    }
    h.push_str("</section>\n");
}

fn config(h: &mut String, snapshot: &Snapshot) {
    let Some(config) = &snapshot.config else {
        return;
    };
    h.push_str("<section id=\"config\"><h2>Configuration</h2><p class=\"meta\">Secrets are shown by reference (env:NAME, keyring:SERVICE/ACCOUNT), never by value.</p>\n");
    h.push_str("<table class=\"sortable\"><thead><tr><th>Service</th><th>Base URL</th><th>Profile</th><th>Tags</th><th>Poll</th><th>Headers</th><th>Streams</th></tr></thead><tbody>\n");
    for s in &config.services {
        let headers: Vec<String> = s
            .headers
            .iter()
            .map(|x| format!("{}: {}", x.name, x.value))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td data-value=\"{}\">{} ms</td><td>{}</td><td>{}</td></tr>",
            escape(&s.name),
            escape(&s.base_url),
            opt(s.profile.as_deref()),
            escape(&s.tags.join(", ")),
            s.poll_interval_ms,
            s.poll_interval_ms,
            escape(&headers.join("; ")),
            escape(&s.streams.join(", "))
        );
    }
    h.push_str("</tbody></table></section>\n");
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}

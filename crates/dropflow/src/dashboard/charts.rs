//! The home page charts as plain SVG written here, on the server: no script, no chart library,
//! nothing to load. Each chart is a `<figure>` holding
//! - an `<svg role="img">` with a `<title>` and `<desc>` (what a screen reader announces),
//!   drawn in a `viewBox` so it shrinks to a phone's width;
//! - a legend in HTML text (readable at any width, unlike text inside a shrunk SVG);
//! - the same numbers as a table in a `<details>`, for those who would rather read.
//!
//! Colour is never the only cue: stacked segments have a pattern each (the legend shows the
//! same swatch with its name), the two shipping lines differ in dash and marker shape, and
//! every bar and point has a `<title>` tooltip with its number. The palette is Okabe–Ito,
//! which stays distinguishable with the common colour-vision deficiencies.
//!
//! Everything interpolated is escaped here, so the templates may insert the result as is.

use crate::storage::dashboard_stats::{DayShipping, DayTabs};
use chrono::NaiveDate;
use dropflow_core::tab::Tab;
use std::fmt::Write;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 260.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 36.0;

/// The tabs an order can be in, oldest stage first, with colour and pattern.
const TAB_STYLES: [(Tab, &str, &str, &str); 8] = [
    (Tab::AwaitingOrder, "Awaiting order", "#E69F00", "dots"),
    (
        Tab::AwaitingPayment,
        "Awaiting payment",
        "#56B4E9",
        "diagonal",
    ),
    (
        Tab::AwaitingShipment,
        "Awaiting shipment",
        "#F0E442",
        "horizontal",
    ),
    (Tab::Fulfilled, "Fulfilled", "#0072B2", "solid"),
    (Tab::Delivered, "Delivered", "#009E73", "vertical"),
    (Tab::OnHold, "On hold", "#CC79A7", "cross"),
    (Tab::Failed, "Failed", "#D55E00", "backslash"),
    (Tab::Canceled, "Canceled", "#999999", "grid"),
];

/// Orders received per day, stacked by the tab each is in now.
pub fn orders_per_day(id: &str, days: &[DayTabs]) -> String {
    let totals: Vec<i64> = days
        .iter()
        .map(|d| d.tabs.iter().map(|(_, n)| n).sum())
        .collect();
    let total: i64 = totals.iter().sum();
    let title = format!("Orders received per day, last {} days", days.len());
    let desc = if total == 0 {
        "No orders were received in these days.".to_string()
    } else {
        let busiest = days
            .iter()
            .zip(&totals)
            .max_by_key(|(d, n)| (**n, std::cmp::Reverse(d.day)))
            .map(|(d, n)| format!("; the busiest day was {} with {n}", d.day))
            .unwrap_or_default();
        format!(
            "{total} order{} in {} days, stacked by the tab each order is in now{busiest}.",
            if total == 1 { "" } else { "s" },
            days.len()
        )
    };
    let scale = Scale::new(totals.iter().copied().max().unwrap_or(0));
    let mut svg = open_svg(id, &title, &desc);
    svg.push_str("<defs>");
    for (tab, _, colour, pattern) in TAB_STYLES {
        svg.push_str(&pattern_def(&pattern_id(id, tab), colour, pattern));
    }
    svg.push_str("</defs>");
    axes(&mut svg, &scale, &day_list(days.iter().map(|d| d.day)));
    if total == 0 {
        empty_note(&mut svg, "No orders in these days");
    }
    let slot = slot_width(days.len());
    for (i, day) in days.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let mut base = 0;
        for (tab, label, _, _) in TAB_STYLES {
            let n = count(&day.tabs, tab);
            if n == 0 {
                continue;
            }
            let (y_top, y_bottom) = (scale.y(base + n), scale.y(base));
            let _ = write!(
                svg,
                r##"<rect x="{x:.1}" y="{y_top:.1}" width="{w:.1}" height="{h:.1}" fill="url(#{p})" stroke="#333" stroke-width="0.5"><title>{d}: {label} {n}</title></rect>"##,
                w = slot * 0.7,
                h = (y_bottom - y_top).max(0.5),
                p = pattern_id(id, tab),
                d = day.day,
            );
            base += n;
        }
    }
    svg.push_str("</svg>");

    let mut legend = String::from(r#"<ul class="chart-legend">"#);
    for (tab, label, _, _) in TAB_STYLES {
        let _ = write!(
            legend,
            r##"<li><svg width="16" height="16" aria-hidden="true" focusable="false"><rect width="16" height="16" fill="url(#{p})" stroke="#333"/></svg> {label}</li>"##,
            p = pattern_id(id, tab)
        );
    }
    legend.push_str("</ul>");

    let mut table = String::from("<table><thead><tr><th scope=\"col\">Day</th>");
    for (_, label, _, _) in TAB_STYLES {
        let _ = write!(table, r#"<th scope="col">{label}</th>"#);
    }
    table.push_str(r#"<th scope="col">Total</th></tr></thead><tbody>"#);
    for (day, total) in days.iter().zip(&totals) {
        let _ = write!(table, r#"<tr><th scope="row">{}</th>"#, day.day);
        for (tab, _, _, _) in TAB_STYLES {
            let _ = write!(table, "<td>{}</td>", count(&day.tabs, tab));
        }
        let _ = write!(table, "<td>{total}</td></tr>");
    }
    table.push_str("</tbody></table>");
    figure(id, &title, &svg, &legend, &table)
}

/// Hours from paying the supplier to the first parcel, per day: median and 90th percentile.
pub fn shipping_times(id: &str, days: &[DayShipping]) -> String {
    let shipped: i64 = days.iter().map(|d| d.shipped).sum();
    let title = format!(
        "Hours from supplier payment to shipment, last {} days",
        days.len()
    );
    let desc = if shipped == 0 {
        "No paid supplier orders shipped in these days.".to_string()
    } else {
        let worst = days.iter().filter_map(|d| d.p90_hours).max().unwrap_or(0);
        format!(
            "{shipped} supplier orders shipped. Solid line with circles: median hours per day; \
             dashed line with squares: 90th percentile (at most {worst} hours)."
        )
    };
    let top = days
        .iter()
        .filter_map(|d| d.p90_hours.max(d.p50_hours))
        .max()
        .unwrap_or(0);
    let scale = Scale::new(top);
    let mut svg = open_svg(id, &title, &desc);
    axes(&mut svg, &scale, &day_list(days.iter().map(|d| d.day)));
    if shipped == 0 {
        empty_note(&mut svg, "Nothing shipped in these days");
    }
    let slot = slot_width(days.len());
    let x_of = |i: usize| LEFT + slot * i as f64 + slot / 2.0;
    let lines: [Line; 2] = [
        ("median", "#0072B2", "", |d| d.p50_hours),
        (
            "90th percentile",
            "#D55E00",
            r#" stroke-dasharray="6 4""#,
            |d| d.p90_hours,
        ),
    ];
    for (which, (name, colour, dash, value)) in lines.iter().enumerate() {
        // A day with nothing shipped breaks the line rather than dropping it to zero.
        let mut path = String::new();
        let mut pen_down = false;
        for (i, day) in days.iter().enumerate() {
            match value(day) {
                Some(hours) => {
                    let cmd = if pen_down { 'L' } else { 'M' };
                    let _ = write!(path, "{cmd}{:.1} {:.1} ", x_of(i), scale.y(hours));
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                svg,
                r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#,
                path.trim_end()
            );
        }
        for (i, day) in days.iter().enumerate() {
            let Some(hours) = value(day) else { continue };
            let (x, y) = (x_of(i), scale.y(hours));
            let tip = format!("<title>{}: {name} {hours} h</title>", day.day);
            if which == 0 {
                let _ = write!(
                    svg,
                    r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.5" fill="{colour}">{tip}</circle>"#
                );
            } else {
                let _ = write!(
                    svg,
                    r#"<rect x="{:.1}" y="{:.1}" width="7" height="7" fill="{colour}">{tip}</rect>"#,
                    x - 3.5,
                    y - 3.5
                );
            }
        }
    }
    svg.push_str("</svg>");
    let legend = concat!(
        r#"<ul class="chart-legend">"#,
        r##"<li><svg width="28" height="12" aria-hidden="true" focusable="false"><path d="M0 6H28" stroke="#0072B2" stroke-width="2"/><circle cx="14" cy="6" r="3.5" fill="#0072B2"/></svg> Median (p50)</li>"##,
        r##"<li><svg width="28" height="12" aria-hidden="true" focusable="false"><path d="M0 6H28" stroke="#D55E00" stroke-width="2" stroke-dasharray="6 4"/><rect x="10.5" y="2.5" width="7" height="7" fill="#D55E00"/></svg> 90th percentile (p90)</li>"##,
        "</ul>"
    );
    let mut table = String::from(concat!(
        r#"<table><thead><tr><th scope="col">Day</th><th scope="col">Shipped</th>"#,
        r#"<th scope="col">Median hours</th><th scope="col">p90 hours</th></tr></thead><tbody>"#
    ));
    let hours = |h: Option<i64>| h.map_or_else(|| "–".to_string(), |h| h.to_string());
    for day in days {
        let _ = write!(
            table,
            r#"<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            day.day,
            day.shipped,
            hours(day.p50_hours),
            hours(day.p90_hours)
        );
    }
    table.push_str("</tbody></table>");
    figure(id, &title, &svg, legend, &table)
}

/// One bar of the profit chart: its label and its profit in minor units.
pub struct ProfitBar {
    pub label: String,
    pub minor: i64,
}

/// Profit per group in one currency: a bar per group above the zero line (profit) or below
/// it (loss, hatched, so the sign never rests on colour alone), each with its amount as a
/// tooltip; the numbers as a table too.
pub fn profit_bars(id: &str, currency: &str, bars: &[ProfitBar]) -> String {
    let amount = |minor: i64| crate::services::view::money(minor, currency);
    let title = format!("Profit in {currency}, {} groups", bars.len());
    let total: i64 = bars.iter().map(|b| b.minor).sum();
    let desc = if bars.is_empty() {
        "No order with every cost known in these days.".to_string()
    } else {
        let losses = bars.iter().filter(|b| b.minor < 0).count();
        format!(
            "{} in all over {} groups; {losses} with a loss (hatched bars below the zero line).",
            amount(total),
            bars.len()
        )
    };
    let top = bars.iter().map(|b| b.minor.max(0)).max().unwrap_or(0);
    let bottom = bars.iter().map(|b| (-b.minor).max(0)).max().unwrap_or(0);
    // One scale for both sides, zero where their shares of the height meet.
    let scale = Scale::new(top.max(bottom));
    let plot = HEIGHT - TOP - BOTTOM;
    let has_losses = bottom > 0;
    let half = if has_losses && top > 0 {
        plot / 2.0
    } else {
        plot
    };
    let zero = if has_losses && top == 0 {
        TOP
    } else {
        TOP + half
    };
    let y = |minor: i64| zero - half * (minor as f64 / scale.max as f64);
    let mut svg = open_svg(id, &title, &desc);
    let hatch = format!("{}-loss", escape(id));
    let _ = write!(
        svg,
        "<defs>{}</defs>",
        pattern_def(&hatch, "#D55E00", "backslash")
    );
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" y1="{zero:.1}" x2="{x2}" y2="{zero:.1}" stroke="#333" stroke-width="1.5"/><text x="{tx}" y="{ty:.1}" text-anchor="end" fill="#333">0</text>"##,
        x2 = WIDTH - RIGHT,
        tx = LEFT - 6.0,
        ty = zero + 4.0,
    );
    if bars.is_empty() {
        empty_note(&mut svg, "Nothing to show");
    }
    let slot = slot_width(bars.len());
    let every = bars.len().div_ceil(8).max(1);
    for (i, bar) in bars.iter().enumerate() {
        let x = LEFT + slot * i as f64 + slot * 0.15;
        let (top_y, bottom_y) = if bar.minor >= 0 {
            (y(bar.minor), zero)
        } else {
            (zero, y(bar.minor))
        };
        let fill = if bar.minor >= 0 {
            "#009E73".to_string()
        } else {
            format!("url(#{hatch})")
        };
        let _ = write!(
            svg,
            r##"<rect x="{x:.1}" y="{top_y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}" stroke="#333" stroke-width="0.5"><title>{label}: {value}</title></rect>"##,
            w = slot * 0.7,
            h = (bottom_y - top_y).max(0.5),
            label = escape(&bar.label),
            value = escape(&amount(bar.minor)),
        );
        if i % every == 0 {
            let short: String = bar.label.chars().take(12).collect();
            let _ = write!(
                svg,
                r##"<text x="{x:.1}" y="{ly}" text-anchor="middle" fill="#333">{}</text>"##,
                escape(&short),
                x = LEFT + slot * i as f64 + slot / 2.0,
                ly = HEIGHT - BOTTOM + 16.0,
            );
        }
    }
    svg.push_str("</svg>");
    let legend = format!(
        r##"<ul class="chart-legend"><li><svg width="16" height="16" aria-hidden="true" focusable="false"><rect width="16" height="16" fill="#009E73" stroke="#333"/></svg> Profit</li><li><svg width="16" height="16" aria-hidden="true" focusable="false"><rect width="16" height="16" fill="url(#{hatch})" stroke="#333"/></svg> Loss</li></ul>"##
    );
    let mut table = String::from(
        r#"<table><thead><tr><th scope="col">Group</th><th scope="col" class="amount">Profit</th></tr></thead><tbody>"#,
    );
    for bar in bars {
        let _ = write!(
            table,
            r#"<tr><th scope="row">{}</th><td class="amount">{}</td></tr>"#,
            escape(&bar.label),
            escape(&amount(bar.minor))
        );
    }
    table.push_str("</tbody></table>");
    figure(id, &title, &svg, &legend, &table)
}

/// One line of the shipping chart: name, colour, dash attribute, the value it draws.
type Line = (
    &'static str,
    &'static str,
    &'static str,
    fn(&DayShipping) -> Option<i64>,
);

/// A y axis from zero to a round number at or above the largest value.
struct Scale {
    max: i64,
    step: i64,
}

impl Scale {
    fn new(largest: i64) -> Scale {
        // Four gridlines at 1, 2 or 5 times a power of ten.
        let mut step = 1;
        'search: for power in 0..18 {
            for m in [1, 2, 5] {
                let candidate = m * 10_i64.pow(power);
                if candidate * 4 >= largest {
                    step = candidate;
                    break 'search;
                }
            }
        }
        Scale {
            max: step * 4,
            step,
        }
    }

    fn y(&self, value: i64) -> f64 {
        let plot = HEIGHT - TOP - BOTTOM;
        HEIGHT - BOTTOM - plot * (value as f64 / self.max as f64)
    }
}

fn slot_width(days: usize) -> f64 {
    (WIDTH - LEFT - RIGHT) / days.max(1) as f64
}

fn count(tabs: &[(Tab, i64)], tab: Tab) -> i64 {
    tabs.iter().filter(|(t, _)| *t == tab).map(|(_, n)| n).sum()
}

fn day_list(days: impl Iterator<Item = NaiveDate>) -> Vec<NaiveDate> {
    days.collect()
}

fn pattern_id(chart: &str, tab: Tab) -> String {
    format!("{}-{}", escape(chart), tab.as_str())
}

/// A fill: the colour with a dark texture over it, so segments differ without colour.
fn pattern_def(id: &str, colour: &str, kind: &str) -> String {
    let marks = match kind {
        "dots" => r##"<circle cx="3" cy="3" r="1.2" fill="#222"/>"##,
        "diagonal" => r##"<path d="M0 6L6 0" stroke="#222" stroke-width="1"/>"##,
        "backslash" => r##"<path d="M0 0L6 6" stroke="#222" stroke-width="1"/>"##,
        "horizontal" => r##"<path d="M0 3H6" stroke="#222" stroke-width="1"/>"##,
        "vertical" => r##"<path d="M3 0V6" stroke="#222" stroke-width="1"/>"##,
        "cross" => r##"<path d="M0 0L6 6M6 0L0 6" stroke="#222" stroke-width="0.8"/>"##,
        "grid" => r##"<path d="M0 3H6M3 0V6" stroke="#222" stroke-width="0.8"/>"##,
        _ => "",
    };
    format!(
        r#"<pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="{colour}"/>{marks}</pattern>"#
    )
}

fn open_svg(id: &str, title: &str, desc: &str) -> String {
    let id = escape(id);
    format!(
        r#"<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet" font-family="system-ui, sans-serif" font-size="11"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(desc)
    )
}

/// Gridlines with their values, the baseline, and day labels spaced to stay legible.
fn axes(svg: &mut String, scale: &Scale, days: &[NaiveDate]) {
    for i in 0..=4 {
        let value = scale.step * i;
        let y = scale.y(value);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{x2}" y2="{y:.1}" stroke="#ccc" stroke-width="{w}"/><text x="{tx}" y="{ty:.1}" text-anchor="end" fill="#333">{value}</text>"##,
            x2 = WIDTH - RIGHT,
            w = if i == 0 { 1.5 } else { 0.5 },
            tx = LEFT - 6.0,
            ty = y + 4.0,
        );
    }
    let slot = slot_width(days.len());
    // About six labels whatever the number of days; the last day always has one.
    let every = days.len().div_ceil(6).max(1);
    for (i, day) in days.iter().enumerate() {
        // The last day is labelled too, unless it sits too close to the label before it.
        let last_far_enough = i + 1 == days.len() && (i % every) * 2 >= every;
        if i % every != 0 && !last_far_enough {
            continue;
        }
        let _ = write!(
            svg,
            r##"<text x="{x:.1}" y="{y}" text-anchor="middle" fill="#333">{label}</text>"##,
            x = LEFT + slot * i as f64 + slot / 2.0,
            y = HEIGHT - BOTTOM + 16.0,
            label = day.format("%b %-d"),
        );
    }
}

fn empty_note(svg: &mut String, text: &str) {
    let _ = write!(
        svg,
        r##"<text x="{x}" y="{y}" text-anchor="middle" fill="#333" font-size="14">{}</text>"##,
        escape(text),
        x = (LEFT + WIDTH - RIGHT) / 2.0,
        y = (TOP + HEIGHT - BOTTOM) / 2.0,
    );
}

fn figure(id: &str, title: &str, svg: &str, legend: &str, table: &str) -> String {
    format!(
        r#"<figure class="chart" id="{id}"><figcaption>{title}</figcaption>{svg}{legend}<details><summary>Show the numbers as a table</summary><div class="table-scroll">{table}</div></details></figure>"#,
        id = escape(id),
        title = escape(title)
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn well_formed(html: &str) {
        // Every element opened is closed (the charts are XML-shaped HTML).
        let mut stack: Vec<String> = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').unwrap() + start;
            let tag = &rest[start + 1..end];
            rest = &rest[end + 1..];
            if tag.ends_with('/') {
                continue;
            }
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if tag.starts_with('/') {
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "in {html}");
            } else {
                stack.push(name);
            }
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    #[test]
    fn the_profit_chart_draws_losses_below_zero_hatched_and_escapes_labels() {
        let bars = [
            ProfitBar {
                label: "<Mug>".into(),
                minor: 1250,
            },
            ProfitBar {
                label: "Cup".into(),
                minor: -300,
            },
        ];
        let html = profit_bars("profit", "USD", &bars);
        well_formed(&html);
        assert!(html.contains("&lt;Mug&gt;: 12.50 USD"), "{html}");
        assert!(html.contains("Cup: -3.00 USD"), "{html}");
        assert!(html.contains("url(#profit-loss)"), "{html}");
        assert!(!html.contains("<Mug>"));
        let empty = profit_bars("profit", "USD", &[]);
        well_formed(&empty);
        assert!(empty.contains("No order with every cost known"));
    }

    fn some_days() -> Vec<DayTabs> {
        vec![
            DayTabs {
                day: day("2025-03-01"),
                tabs: vec![(Tab::AwaitingOrder, 3), (Tab::Delivered, 2)],
            },
            DayTabs {
                day: day("2025-03-02"),
                tabs: vec![],
            },
            DayTabs {
                day: day("2025-03-03"),
                tabs: vec![(Tab::Failed, 1)],
            },
        ]
    }

    #[test]
    fn orders_chart_is_accessible_and_tabulated() {
        let html = orders_per_day("orders", &some_days());
        well_formed(&html);
        assert!(html.contains(r#"role="img""#));
        assert!(html.contains(r#"aria-labelledby="orders-title orders-desc""#));
        assert!(html.contains("<title id=\"orders-title\">Orders received per day, last 3 days"));
        assert!(html.contains("6 orders in 3 days"), "{html}");
        assert!(html.contains("busiest day was 2025-03-01 with 5"));
        assert!(html.contains("viewBox=\"0 0 640 260\""));
        // One segment per non-zero count, each with its number.
        assert_eq!(
            html.matches("fill=\"url(#orders-").count(),
            3 + TAB_STYLES.len()
        );
        assert!(html.contains("<title>2025-03-01: Awaiting order 3</title>"));
        assert!(html.contains("<title>2025-03-03: Failed 1</title>"));
        // The table has a row per day with its total last.
        assert!(html.contains(
            "<tr><th scope=\"row\">2025-03-02</th><td>0</td><td>0</td><td>0</td><td>0</td>\
             <td>0</td><td>0</td><td>0</td><td>0</td><td>0</td></tr>"
        ));
        assert!(html.contains("<details><summary>"));
        insta::assert_snapshot!(html);
    }

    #[test]
    fn empty_and_one_day_charts_still_draw() {
        let empty = vec![DayTabs {
            day: day("2025-03-01"),
            tabs: vec![],
        }];
        let html = orders_per_day("o", &empty);
        well_formed(&html);
        assert!(html.contains("No orders were received"));
        assert!(html.contains(">No orders in these days</text>"));
        assert!(!html.contains("<rect x="), "no bars for no orders");
        assert!(!html.contains("NaN") && !html.contains("inf"));

        let one = vec![DayTabs {
            day: day("2025-03-01"),
            tabs: vec![(Tab::Fulfilled, 7)],
        }];
        let html = orders_per_day("o", &one);
        well_formed(&html);
        assert!(html.contains(">Mar 1</text>"));
        assert!(html.contains("<title>2025-03-01: Fulfilled 7</title>"));
        assert!(!html.contains("NaN"));

        let ship = shipping_times(
            "s",
            &[DayShipping {
                day: day("2025-03-01"),
                shipped: 0,
                p50_hours: None,
                p90_hours: None,
            }],
        );
        well_formed(&ship);
        assert!(ship.contains(">Nothing shipped in these days</text>"));
        let drawing = &ship[..ship.find("</svg>").unwrap()];
        assert!(!drawing.contains("<path d=\"M"), "no line without data");
        assert!(ship.contains("<td>–</td>"));
    }

    #[test]
    fn shipping_lines_break_on_days_without_parcels() {
        let days = vec![
            DayShipping {
                day: day("2025-03-01"),
                shipped: 4,
                p50_hours: Some(20),
                p90_hours: Some(50),
            },
            DayShipping {
                day: day("2025-03-02"),
                shipped: 0,
                p50_hours: None,
                p90_hours: None,
            },
            DayShipping {
                day: day("2025-03-03"),
                shipped: 1,
                p50_hours: Some(30),
                p90_hours: Some(30),
            },
        ];
        let html = shipping_times("ship", &days);
        well_formed(&html);
        // Two separate moves per line: the gap is not drawn as zero.
        let median = html.split("<path d=\"").nth(1).unwrap();
        let median = &median[..median.find('"').unwrap()];
        assert_eq!(median.matches('M').count(), 2, "{median}");
        assert!(!median.contains('L'));
        assert!(html.contains("stroke-dasharray=\"6 4\""));
        assert!(html.contains("<title>2025-03-01: 90th percentile 50 h</title>"));
        assert!(html.contains("at most 50 hours"));
        assert!(html.contains("<td>4</td><td>20</td><td>50</td>"));
        insta::assert_snapshot!(html);
    }

    #[test]
    fn scales_are_round_and_cover_the_data() {
        for (largest, max) in [
            (0, 4),
            (1, 4),
            (4, 4),
            (5, 8),
            (9, 20),
            (37, 40),
            (1234, 2000),
        ] {
            let s = Scale::new(largest);
            assert_eq!(s.max, max, "for {largest}");
            assert!(s.max >= largest);
        }
        assert!((Scale::new(10).y(0) - (HEIGHT - BOTTOM)).abs() < 1e-9);
        assert!((Scale::new(10).y(20) - TOP).abs() < 1e-9);
    }

    #[test]
    fn ids_are_escaped() {
        let html = orders_per_day("a\"b", &some_days());
        assert!(!html.contains("id=\"a\"b"));
    }
}

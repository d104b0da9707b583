//! Latency histograms (µs) and the small formatting helpers the reports share.

use hdrhistogram::Histogram;

/// Latencies in microseconds, 1 µs to 10 minutes, 3 significant digits.
pub type Hist = Histogram<u64>;

pub fn new_histogram() -> anyhow::Result<Hist> {
    Ok(Histogram::new_with_bounds(1, 600_000_000, 3)?)
}

/// A percentile of a µs histogram, in ms (`None` when it is empty).
pub fn ms_at(h: &Hist, quantile: f64) -> Option<f64> {
    (!h.is_empty()).then(|| h.value_at_quantile(quantile) as f64 / 1000.0)
}

pub fn max_ms(h: &Hist) -> Option<f64> {
    (!h.is_empty()).then(|| h.max() as f64 / 1000.0)
}

/// A report's row: the `lead` cells, then the p50, p99 and max of `h` in ms, then `trail`.
pub fn timed_row<const L: usize, const T: usize>(
    lead: [String; L],
    h: &Hist,
    trail: [String; T],
) -> Vec<String> {
    let latency = [ms_at(h, 0.5), ms_at(h, 0.99), max_ms(h)].map(fmt_ms);
    lead.into_iter().chain(latency).chain(trail).collect()
}

/// A histogram for a report's JSON: the count and the p50, p99 and max in ms.
pub fn hist_json(h: &Hist) -> serde_json::Value {
    serde_json::json!({"n": h.len(), "p50_ms": ms_at(h, 0.5), "p99_ms": ms_at(h, 0.99), "max_ms": max_ms(h)})
}

/// `12.34` or `-`.
pub fn fmt_ms(v: Option<f64>) -> String {
    match v {
        Some(v) if v < 10.0 => format!("{v:.3}"),
        Some(v) => format!("{v:.1}"),
        None => "-".into(),
    }
}

/// `12,345` (a rate or a count, rounded).
pub fn thousands(v: f64) -> String {
    let n = v.round() as i64;
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        let left = digits.len() - i;
        if i > 0 && left.rem_euclid(3) == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// An aligned text table: the first column left-aligned, the others right-aligned.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|s| s.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn print(&self) {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut out = String::new();
            for (i, width) in widths.iter().enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = width.saturating_sub(cell.chars().count());
                if i == 0 {
                    out.push_str(cell);
                    out.push_str(&" ".repeat(pad));
                } else if i == columns - 1 {
                    // The last column is free text (notes, targets): left-aligned.
                    out.push_str("  ");
                    out.push_str(cell);
                } else {
                    out.push_str("  ");
                    out.push_str(&" ".repeat(pad));
                    out.push_str(cell);
                }
            }
            println!("{}", out.trim_end());
        };
        line(&self.header);
        let total: usize = widths.iter().sum::<usize>() + 2 * (columns.saturating_sub(1));
        println!("{}", "-".repeat(total.min(120)));
        for row in &self.rows {
            line(row);
        }
    }
}

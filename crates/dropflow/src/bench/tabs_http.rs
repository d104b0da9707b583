//! The orders page through HTTP, over the database `bench tabs` filled (issue 17 item 6:
//! listing cost must not grow with the data). A page view is what the merchant's client asks
//! for: `GET /api/v1/orders?tab=…&limit=50` and `GET /api/v1/orders/counts`, with a Bearer
//! token, over loopback to a real dropflow router. Timed one at a time: wall time per view and
//! this process's CPU per view (server and client both run here; the client only reads the
//! bytes). The ceiling, in the same run: the same page's bare indexed SELECT plus the bare
//! counter read, CPU per view the same way.

use super::hist::{ms_at, new_histogram, thousands, Hist};
use super::sys::Sample;
use crate::config::Config;
use crate::storage::Database;
use dropflow_core::tab::Tab;
use std::time::Instant;

/// Page views timed per tab.
const VIEWS_PER_TAB: usize = 40;

/// What one side (dropflow through HTTP, or the bare queries) cost per page view.
pub struct ViewCost {
    pub wall: Hist,
    pub cpu_ms_per_view: f64,
}

/// Starts dropflow's router on `db`, then times page views through it and the bare queries.
pub async fn measure(
    config: &Config,
    db: &Database,
    url: &str,
) -> anyhow::Result<(ViewCost, ViewCost)> {
    let mut app_config = config.clone();
    app_config.database.url = url.to_string();
    app_config.http.listen = "127.0.0.1:0".into();
    let running =
        crate::app::start_on(&app_config, db.clone(), crate::jobs::Registry::new()).await?;
    let token = crate::storage::tokens::create(db, "bench-tabs").await?;
    let client = reqwest::Client::builder().no_proxy().build()?;
    let base = running.base_url();
    let view = |tab: Tab| {
        let client = client.clone();
        let token = token.clone();
        let base = base.clone();
        async move {
            for path in [
                format!("/api/v1/orders?tab={}&limit=50", tab.as_str()),
                "/api/v1/orders/counts".to_string(),
            ] {
                let response = client
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await?
                    .error_for_status()?;
                response.bytes().await?;
            }
            anyhow::Ok(())
        }
    };
    // Warm: connections, statement caches, pages.
    for tab in Tab::ALL {
        view(tab).await?;
    }
    let mut http = new_histogram()?;
    let before = Sample::now();
    for _ in 0..VIEWS_PER_TAB {
        for tab in Tab::ALL {
            let t = Instant::now();
            view(tab).await?;
            http.saturating_record((t.elapsed().as_micros() as u64).max(1));
        }
    }
    let http_cpu = Sample::now().since(&before).process_cpu();
    running.stop().await;

    let mut bare = new_histogram()?;
    let before = Sample::now();
    for _ in 0..VIEWS_PER_TAB {
        for tab in Tab::ALL {
            let t = Instant::now();
            let page = if tab == Tab::All {
                sqlx::query("SELECT id FROM orders ORDER BY id DESC LIMIT 50")
                    .fetch_all(&db.reader)
                    .await?
            } else {
                sqlx::query("SELECT id FROM orders WHERE tab = $1 ORDER BY id DESC LIMIT 50")
                    .bind(tab.as_str())
                    .fetch_all(&db.reader)
                    .await?
            };
            std::hint::black_box(page);
            let counts = sqlx::query("SELECT tab, n FROM store_tab_counts")
                .fetch_all(&db.reader)
                .await?;
            std::hint::black_box(counts);
            bare.saturating_record((t.elapsed().as_micros() as u64).max(1));
        }
    }
    let bare_cpu = Sample::now().since(&before).process_cpu();
    let views = (VIEWS_PER_TAB * Tab::ALL.len()) as f64;
    Ok((
        ViewCost {
            wall: http,
            cpu_ms_per_view: http_cpu * 1000.0 / views,
        },
        ViewCost {
            wall: bare,
            cpu_ms_per_view: bare_cpu * 1000.0 / views,
        },
    ))
}

/// The lines `bench tabs` prints for the HTTP page views next to their ceiling.
pub fn report(orders: usize, http: &ViewCost, bare: &ViewCost) {
    let p = |h: &Hist, q: f64| ms_at(h, q).map_or("?".into(), |ms| format!("{ms:.2}"));
    println!(
        "\nHTTP page view at {} orders (list of 50 + counts, Bearer token, loopback): \
         p50 {} ms, p99 {} ms, CPU {:.2} ms per view",
        thousands(orders as f64),
        p(&http.wall, 0.5),
        p(&http.wall, 0.99),
        http.cpu_ms_per_view
    );
    println!(
        "ceiling: bare page SELECT + counter read: p50 {} ms, p99 {} ms, CPU {:.2} ms per view \
         → HTTP costs {:.1}× the ceiling's CPU",
        p(&bare.wall, 0.5),
        p(&bare.wall, 0.99),
        bare.cpu_ms_per_view,
        http.cpu_ms_per_view / bare.cpu_ms_per_view.max(1e-6)
    );
}
